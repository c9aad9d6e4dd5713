import {access, readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {InputError, UsageError} from '../../errors/index.js'
import {parseCsv} from './csv.js'
import {parseMedMcqa, parseMedQa, parseMmlu, parsePubMedQa, parsePubTator, type PubTatorDocument} from './importers.js'
import {type ChoiceItem, medMcqaItem, medQaItem, MMLU_MEDICAL_SUBJECTS, mmluItem, pubMedQaItem, withShots} from './prompts.js'

/** Multiple-choice accuracy tasks (lm-evaluation-harness `multimedqa`). */
export const ACCURACY_TASKS = ['medqa', 'medmcqa', 'pubmedqa', 'mmlu-med'] as const
/** NER tasks: `ner` is BC5CDR test (chemicals, diseases), `ner-ncbi` NCBI-disease test. */
export const NER_TASKS = ['ner', 'ner-ncbi'] as const
/**
 * Every task `bench --tasks` accepts; `deid` runs on a corpus generated from PHI-free clinical dialogues, `vqa-rad`
 * on a vision model (MultiMedEval's VQA-RAD protocol), `quality` against a reference model on clinical text.
 */
export const BENCH_TASKS = ['speed', 'quality', ...ACCURACY_TASKS, ...NER_TASKS, 'deid', 'vqa-rad'] as const

/** A `bench --tasks` entry. */
export type BenchTaskName = (typeof BENCH_TASKS)[number]
/** An accuracy task. */
export type AccuracyTaskName = (typeof ACCURACY_TASKS)[number]
/** An NER task. */
export type NerTaskName = (typeof NER_TASKS)[number]

/** The task name of the micro-averaged medical group record. */
export const MEDICAL_GROUP = 'medical'

/** Where each dataset lives inside a data directory laid out like the project's `data/bench` (original file names). */
export const DATASET_FILES = {
  medqa: 'medqa_us4_test.jsonl',
  medmcqa: 'medmcqa_dev.jsonl',
  pubmedqa: 'pubmedqa_test.json',
  mmluTest: (subject: string) => `mmlu/${subject}_test.csv`,
  mmluDev: (subject: string) => `mmlu/${subject}_dev.csv`,
  ner: 'ner/bc5cdr_test.pubtator.txt',
  'ner-ncbi': 'ner/ncbi_disease_test.pubtator.txt',
  /** PHI-free dialogues the deid corpus inserts identifiers into (MTS-Dialog, ACI-Bench; the `dialogue` column). */
  clinical: ['clinical/mts_dialog_valid.csv', 'clinical/aci_bench_valid.csv', 'clinical/aci_bench_test1.csv'],
  /** BC5CDR's dev split: the few-shot examples of `ner`. */
  nerDev: 'ner/bc5cdr_dev.pubtator.txt',
  /** VQA-RAD as published (`VQA_RAD Dataset Public.json` renamed), its images in `vqa-rad/images/`. */
  'vqa-rad': 'vqa-rad/vqa_rad.json',
} as const

/** Most solved examples `--shots` may ask for (MMLU has 5 dev rows per subject, so it stops at 5). */
export const MAX_SHOTS = 10

/** Parses a comma-separated `--tasks` value; throws UsageError on an unknown task. */
export function parseTasks(spec: string): BenchTaskName[] {
  const names = spec.split(',').map((name) => name.trim()).filter(Boolean)
  if (names.length === 0) throw new UsageError('--tasks is empty', {hint: `Use some of: ${BENCH_TASKS.join(', ')}.`})
  for (const name of names) {
    if (!(BENCH_TASKS as readonly string[]).includes(name)) throw new UsageError(`unknown task '${name}'`, {hint: `Use some of: ${BENCH_TASKS.join(', ')}.`}, 'E_TASK')
  }

  return [...new Set(names)] as BenchTaskName[]
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

/**
 * Finds a dataset file in `dataDir`: `DIR/<file>`, then `DIR/bench/<file>`; for the NER corpora (`ner/…`), the
 * clinical texts and VQA-RAD (`vqa-rad/…`) also `DIR/../<file>`, so that both `data/` and `data/bench` work as
 * `--data-dir`.
 */
export async function findDataFile(dataDir: string, file: string): Promise<string> {
  const candidates = [join(dataDir, file), join(dataDir, 'bench', file)]
  if (file.startsWith('ner/') || file.startsWith('clinical/') || file.startsWith('vqa-rad/')) candidates.push(join(dataDir, '..', file))
  for (const candidate of candidates) if (await exists(candidate)) return candidate
  throw new InputError(`dataset file ${file} not found in ${dataDir}`, {
    hint: 'Point --data-dir at a folder laid out like data/bench (medqa_us4_test.jsonl, medmcqa_dev.jsonl, pubmedqa_test.json, mmlu/<subject>_test.csv, ner/*.pubtator.txt, vqa-rad/vqa_rad.json with vqa-rad/images/); without --data-dir, bench downloads the datasets it has a public source for.',
    details: {file, dataDir},
  }, 'E_DATASET_MISSING')
}

async function readData(dataDir: string, file: string): Promise<{path: string; text: string}> {
  const path = await findDataFile(dataDir, file)
  return {path, text: await readFile(path, 'utf8')}
}

/** Options of {@link loadChoiceItems}. */
export interface LoadItemsOptions {
  /** Keep the first N questions (per MMLU subject, as lm-eval's `--limit` per task). Default: all. */
  limit?: number
  /**
   * Solved questions put before each question; default 0. MMLU takes its dev rows (0–5). The other tasks have no
   * split of their own to draw from here (MedMCQA's file is the split lm-eval scores), so they take the first
   * `heldOut` questions of their file as the pool of solved examples and score only the rest.
   */
  shots?: number
  /**
   * Questions at the head of a non-MMLU file kept out of scoring as the example pool; default `shots`. A run with
   * several shot counts gives its largest for every count, so that each count is scored on the same questions.
   */
  heldOut?: number
}

/** Loads an accuracy task's questions from `dataDir`, rendered as lm-eval prompts, plus the files read. */
export async function loadChoiceItems(task: AccuracyTaskName, dataDir: string, options: LoadItemsOptions = {}): Promise<{items: ChoiceItem[]; files: string[]}> {
  const take = <T>(items: T[]): T[] => (options.limit === undefined ? items : items.slice(0, options.limit))
  const shots = options.shots ?? 0
  if (!Number.isInteger(shots) || shots < 0 || shots > MAX_SHOTS) throw new UsageError(`--shots must be 0 to ${MAX_SHOTS}, got ${shots}`, {hint: 'e.g. --shots 0,3'}, 'E_SHOTS')
  const heldOut = Math.max(shots, options.heldOut ?? shots)
  // The head of the file is the example pool; the questions scored follow it.
  const split = (items: ChoiceItem[], path: string): {items: ChoiceItem[]; files: string[]} => {
    if (heldOut > 0 && items.length <= heldOut) {
      throw new InputError(`${path} has ${items.length} questions: too few for ${heldOut} examples and any to score`, {hint: 'Ask for fewer --shots.'}, 'E_DATASET')
    }

    return {items: take(items.slice(heldOut)).map((item) => withShots(item, items.slice(0, shots))), files: [path]}
  }

  switch (task) {
    case 'medqa': {
      const {path, text} = await readData(dataDir, DATASET_FILES.medqa)
      return split(parseMedQa(text, path).map(medQaItem), path)
    }

    case 'medmcqa': {
      const {path, text} = await readData(dataDir, DATASET_FILES.medmcqa)
      return split(parseMedMcqa(text, path).map(medMcqaItem), path)
    }

    case 'pubmedqa': {
      const {path, text} = await readData(dataDir, DATASET_FILES.pubmedqa)
      return split(parsePubMedQa(text, path).map(pubMedQaItem), path)
    }

    case 'mmlu-med': {
      if (shots > 5) throw new UsageError(`MMLU has 5 dev questions per subject: --shots must be 0 to 5, got ${shots}`, {hint: 'e.g. --shots 0,5'}, 'E_SHOTS')
      const items: ChoiceItem[] = []
      const files: string[] = []
      for (const subject of MMLU_MEDICAL_SUBJECTS) {
        const test = await readData(dataDir, DATASET_FILES.mmluTest(subject))
        files.push(test.path)
        let examples: ReturnType<typeof parseMmlu> = []
        if (shots > 0) {
          const dev = await readData(dataDir, DATASET_FILES.mmluDev(subject))
          files.push(dev.path)
          examples = parseMmlu(dev.text, dev.path).slice(0, shots)
        }

        items.push(...take(parseMmlu(test.text, test.path)).map((record) => mmluItem(subject, record, examples)))
      }

      return {items, files}
    }
  }
}

/** An NER corpus to score, and the solved documents few-shot prompts draw from. */
export interface NerCorpus {
  documents: PubTatorDocument[]
  file: string
  /** The first documents of the dev split (BC5CDR), or of the file itself, which are then not scored (NCBI-disease). */
  shotPool: PubTatorDocument[]
  /** Where `shotPool` comes from, when it is not empty. */
  shotFile?: string
}

/**
 * Loads an NER corpus (PubTator) from `dataDir`; `limit` keeps the first N documents. With `shots` > 0, the first
 * `shots` documents of BC5CDR's dev split are the examples of `ner`; NCBI-disease has only its test split here, so
 * its first `shots` documents are the examples and its first `heldOut` (default `shots`) are left out of scoring.
 */
export async function loadNerCorpus(task: NerTaskName, dataDir: string, options: LoadItemsOptions = {}): Promise<NerCorpus> {
  const {limit, shots = 0} = options
  if (!Number.isInteger(shots) || shots < 0 || shots > MAX_SHOTS) throw new UsageError(`--shots must be 0 to ${MAX_SHOTS}, got ${shots}`, {hint: 'e.g. --shots 0,3'}, 'E_SHOTS')
  const {path, text} = await readData(dataDir, DATASET_FILES[task])
  let documents = parsePubTator(text, path)
  const heldOut = task === 'ner' ? 0 : Math.max(shots, options.heldOut ?? shots)
  let shotPool: PubTatorDocument[] = []
  let shotFile: string | undefined
  if (shots > 0 && task === 'ner') {
    const dev = await readData(dataDir, DATASET_FILES.nerDev)
    shotPool = parsePubTator(dev.text, dev.path).slice(0, shots)
    shotFile = dev.path
  } else if (heldOut > 0) {
    shotPool = documents.slice(0, shots)
    documents = documents.slice(heldOut)
    if (shots > 0) shotFile = path
  }

  return {documents: limit === undefined ? documents : documents.slice(0, limit), file: path, shotPool, ...(shotFile ? {shotFile} : {})}
}

/**
 * Loads the PHI-free clinical texts of the deid corpus: the `dialogue` column of every file of
 * `DATASET_FILES.clinical` found in `dataDir` (at least one must be there), in order; `limit` keeps the first N.
 */
export async function loadClinicalTexts(dataDir: string, limit?: number): Promise<{texts: string[]; files: string[]}> {
  const texts: string[] = []
  const files: string[] = []
  for (const file of DATASET_FILES.clinical) {
    const found = await findDataFile(dataDir, file).catch(() => undefined)
    if (!found) continue
    const [header, ...rows] = parseCsv(await readFile(found, 'utf8'))
    const column = header?.fields.indexOf('dialogue') ?? -1
    if (column < 0) throw new InputError(`${found} has no "dialogue" column`, {hint: 'Use the MTS-Dialog or ACI-Bench CSV files as published.'}, 'E_DATASET_FORMAT')
    files.push(found)
    texts.push(...rows.map((row) => row.fields[column] ?? '').filter((text) => text.trim() !== ''))
  }

  if (files.length === 0) await findDataFile(dataDir, DATASET_FILES.clinical[0])
  return {texts: limit === undefined ? texts : texts.slice(0, limit), files}
}
