// Benchmarks: llama-bench-style speed, lm-evaluation-harness-style medical accuracy, NER P/R/F1, MultiMedEval-style
// VQA, and comparisons.
export {accuracyOf, argmax, microAverage, parseAnswer, scoreItems, summarizeOutcomes} from './accuracy.js'
export type {AccuracyFigures, ChoiceScorer, ItemOutcome, ScoreItemsOptions, ScoringMode, TaskAccuracy} from './accuracy.js'
export {compareRecords, DEFAULT_THRESHOLD_PERCENT, parseBenchRecords, regressionError} from './compare.js'
export type {Comparison, Delta} from './compare.js'
export {checkDatasetCatalog, DATASET_CATALOG, DATASETS_CATALOG_ENV} from './datasets/catalog.js'
export type {DatasetCatalog, DatasetEntry, DatasetFile} from './datasets/catalog.js'
export {parseCsv} from './datasets/csv.js'
export {BUILTIN_CLINICAL_NOTES, loadQualityText} from './datasets/clinical-notes.js'
export type {QualityText} from './datasets/clinical-notes.js'
export {
  ACCURACY_TASKS,
  BENCH_TASKS,
  DATASET_FILES,
  findDataFile,
  loadClinicalTexts,
  loadChoiceItems,
  loadNerCorpus,
  MAX_SHOTS,
  MEDICAL_GROUP,
  NER_TASKS,
  parseTasks,
} from './datasets/load.js'
export type {AccuracyTaskName, BenchTaskName, LoadItemsOptions, NerCorpus, NerTaskName} from './datasets/load.js'
export {generateDeidCorpus, TEMPLATES as DEID_TEMPLATES} from './deid/corpus.js'
export type {DeidCorpusOptions, DeidDocument} from './deid/corpus.js'
export {scoreDeid} from './deid/score.js'
export type {DeidCategoryFigures, DeidFigures} from './deid/score.js'
export {fingerprintHardware, identifyFile} from './fingerprint.js'
export type {FileIdentity, HardwareFingerprint} from './fingerprint.js'
export {llamaBenchTestName, parseDepths, parseLlamaBenchJson, runLlamaBench} from './llama-bench.js'
export type {LlamaBenchFigures, RunLlamaBenchOptions} from './llama-bench.js'
export {LETTERS, parseMedMcqa, parseMedQa, parseMmlu, parsePubMedQa, parsePubTator} from './datasets/importers.js'
export type {MedMcqaRecord, MedQaRecord, MmluRecord, PubMedQaRecord, PubTatorDocument, PubTatorMention} from './datasets/importers.js'
export {ensureSyntheticModel, parseQuants, QUANT_TYPES, resolveBenchModels, resolveModelReference, SYNTHETIC_SHAPES, SYNTHETIC_WEIGHTS_SEED} from './models.js'
export type {BenchModelSpec, Quant, ResolveBenchModelsOptions, SyntheticModelOptions} from './models.js'
export {goldSpans, locateMentions, nerExamples, nerSchema, normalizeNerLabel, runNer, scoreSpans} from './ner.js'
export type {LabeledSpan, NerFigures, PrfFigures, RunNerOptions} from './ner.js'
export {medMcqaItem, medQaItem, MMLU_MEDICAL_SUBJECTS, mmluItem, pubMedQaItem, withShots} from './datasets/prompts.js'
export type {ChoiceItem} from './datasets/prompts.js'
export {klDivergence, logSumExp, QualityAccumulator, topToken} from './quality/divergence.js'
export type {QualityFigures} from './quality/divergence.js'
export {BENCH_SCHEMA_VERSION, buildRecordBase} from './record.js'
export type {AccuracyRecord, BenchRecord, BenchRecordBase, DeidRecord, LoraIdentity, ModelIdentity, NerRecord, QualityRecord, RecordBaseOptions, SoftwareVersions, SpeedBaseline, SpeedRecord, SpeedRound, VqaRecord} from './record.js'
export {runInterleaved} from './rounds.js'
export type {InterleavedRound, RoundProgram, RunInterleavedOptions} from './rounds.js'
export {mean, median, precisionRecallF1, ratioOfMedians, sampleStandardDeviation, summarize, wilsonInterval, Z_95} from './stats.js'
export type {Summary} from './stats.js'
export {cleanVqaAnswer, vqaTokens} from './vqa/clean.js'
export {CLOSED_INSTRUCTION, loadVqaRad, parseVqaRad, vqaPrompt} from './vqa/dataset.js'
export type {VqaCorpus, VqaItem} from './vqa/dataset.js'
export {bleu1, CLOSED_RECALL_THRESHOLD, isClosedAnswer, OPEN_RECALL_THRESHOLD, scoreVqaAnswer, summarizeVqa} from './vqa/score.js'
export type {VqaAnswerScore, VqaFigures} from './vqa/score.js'
