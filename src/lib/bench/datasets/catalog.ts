import {DATASET_FILES, type BenchTaskName} from './load.js'
import {MMLU_MEDICAL_SUBJECTS} from './prompts.js'

/** One file of a dataset, as the bench loaders read it. */
export interface DatasetFile {
  /** Path inside a data folder laid out like data/bench ({@link DATASET_FILES}), `/`-separated. */
  file: string
  sizeBytes: number
  /** sha256 of the original, unmodified file the project's figures were measured on. */
  sha256: string
  /** Only needed with `--shots` > 0 (the few-shot examples). */
  forShots?: boolean
  /**
   * Where to download it: a file of a Hugging Face dataset repo (`datasets/owner/name`), under `HF_ENDPOINT`.
   * Absent: no public single-file source is known (see {@link DatasetEntry.notDownloadable}).
   */
  hub?: {repo: string; revision: string; path: string}
}

/** A dataset a bench task reads. */
export interface DatasetEntry {
  title: string
  license: string
  /** Where the dataset is published, for people who fetch it by hand. */
  homepage: string
  files: DatasetFile[]
  /** Why jsl-med cannot download it itself (the files are only published inside archives, or not at all). */
  notDownloadable?: string
}

/** The datasets of the bench tasks, by task. */
export type DatasetCatalog = Partial<Record<BenchTaskName, DatasetEntry>>

const MMLU_SHA256: Record<string, [test: string, testBytes: number, dev: string, devBytes: number]> = {
  anatomy: ['966dfd5c4579885ebdb8c05d6754ae5834f672632586d8595be3c0f9360e6f4e', 29_844, '0985685cf5ab13ccc1629f03a1308a9add8767582ffeb195b68b18c3415c9993', 830],
  clinical_knowledge: ['06a1ea973000d5ef5d2664c4ac1c68d0423f1cab6b3b682be7942633740811f1', 56_562, 'a82e8b10da8168f8fe9f7315165e6e87a4b3bebe91f6445b9aafbefb162cc531', 1029],
  college_biology: ['e1204cb9d19887ea266145f038b5d4cc1fbc33d7efce186259c4ecca1cbe3119', 45_351, '31f4ae0707ba3f742e0d5546ff970949be8a05e217921fe87b1814d6a0ab8184', 1403],
  college_medicine: ['9c533cfff89edaa317b2e79bbabcdd5e2e522e019679cb4a6475e5f2a1861b1e', 78_334, '63928a944fda769d7e52a3a4549d4f37f094896e65e7db35029261e1ae79909b', 1545],
  medical_genetics: ['cc30c698e94f12c00e610a39c62d1a1d9587fa53c005359317346081f722c5e6', 18_520, '70cd9ff940bef360693eeb4e05b5b8e53ad75a81d6b74a784222d4cae6dcb896', 952],
  professional_medicine: ['a034bf0dda10cb0848bdd3097eb1547d61ca2dac9e9b871563691621c38d51e9', 211_585, '486456d578890d4700dd8044ac236c8ac2ee3389e35fc81ac37529f4f4487785', 3678],
}

/**
 * The built-in dataset catalog. Sizes and sha256 are those of the original files the project measured on (its
 * data/bench folder). Only MedQA is published as a plain file on the Hugging Face hub; the others come inside zip
 * or tar archives (or, for PubMedQA's 500-question test split, from a split script), which jsl-med does not unpack,
 * so for them `bench` asks for `--data-dir` instead of pretending.
 */
export const DATASET_CATALOG: DatasetCatalog = {
  medqa: {
    title: 'MedQA (USMLE, 4 options) test',
    license: 'MIT',
    homepage: 'https://github.com/jind11/MedQA',
    files: [
      {
        file: DATASET_FILES.medqa,
        sizeBytes: 2_075_679,
        sha256: 'c3b905ccfa66152dc25afbcb2c10e86c0bdb208824f0658fcdb2c040f60a2beb',
        // jind11's data_clean/questions/US/4_options/phrases_no_exclude_test.jsonl (the original is only on Google
        // Drive, inside a zip), as the GBaker dataset repo publishes it. The repo path and revision were not checked
        // against the live hub (no network where this was written): the sha256 above is, before the file is kept,
        // and a hub X-Linked-Etag that differs stops the download before its first byte.
        hub: {repo: 'datasets/GBaker/MedQA-USMLE-4-options', revision: 'main', path: 'phrases_no_exclude_test.jsonl'},
      },
    ],
  },
  medmcqa: {
    title: 'MedMCQA validation (original release, 1-based cop)',
    license: 'MIT',
    homepage: 'https://medmcqa.github.io',
    files: [{file: DATASET_FILES.medmcqa, sizeBytes: 2_594_517, sha256: 'a2b5f53890f4e742b728378fb847bc5338088d48ea01218676379f587270af31'}],
    notDownloadable: "the original release (dev.json, 1-based cop) is only published inside a zip on Google Drive; Hugging Face's copy is Parquet with a 0-based cop",
  },
  pubmedqa: {
    title: 'PubMedQA PQA-L test (500 questions)',
    license: 'MIT',
    homepage: 'https://github.com/pubmedqa/pubmedqa',
    files: [{file: DATASET_FILES.pubmedqa, sizeBytes: 1_297_358, sha256: 'f420f49d97516329d81f62d7d454055e3a063dbd0913ebaff915993bb321cbab'}],
    notDownloadable: "the 500-question test split is written by the repository's preprocess/split_dataset.py from ori_pqal.json, not published as a file",
  },
  'mmlu-med': {
    title: 'MMLU medical subjects (test, and dev for few-shot)',
    license: 'MIT',
    homepage: 'https://github.com/hendrycks/test',
    files: MMLU_MEDICAL_SUBJECTS.flatMap((subject) => {
      const [test, testBytes, dev, devBytes] = MMLU_SHA256[subject]
      return [
        {file: DATASET_FILES.mmluTest(subject), sizeBytes: testBytes, sha256: test},
        {file: DATASET_FILES.mmluDev(subject), sizeBytes: devBytes, sha256: dev, forShots: true},
      ]
    }),
    notDownloadable: 'the CSV files are only published inside data.tar (hendrycks/test); Hugging Face has them as Parquet',
  },
  ner: {
    title: 'BC5CDR (BioCreative V CDR) test, and dev for few-shot',
    license: 'Public Domain Mark',
    homepage: 'https://github.com/JHnlp/BioCreative-V-CDR-Corpus',
    files: [
      {file: DATASET_FILES.ner, sizeBytes: 1_168_687, sha256: 'a3c48d5f35bdfce20c2371778abedc9fd24d1da092207072e5181ad53c8d0e2f'},
      {file: DATASET_FILES.nerDev, sizeBytes: 1_127_990, sha256: '9e18d8e700168887a7919e62f67ac2ce2357e3f409a48ee992906abdd80fe3e5', forShots: true},
    ],
    notDownloadable: 'the PubTator files are only published inside CDR_Data.zip',
  },
  'ner-ncbi': {
    title: 'NCBI-disease test',
    license: 'Public domain (US Government work)',
    homepage: 'https://www.ncbi.nlm.nih.gov/CBBresearch/Dogan/DISEASE/',
    files: [{file: DATASET_FILES['ner-ncbi'], sizeBytes: 189_219, sha256: '61c8050bf6979ef7b943ec1158dfc03b651ea3367d4c37356f9de4841e85c9a3'}],
    notDownloadable: 'the PubTator file is only published inside NCBItestset_corpus.zip',
  },
  deid: {
    title: 'MTS-Dialog and ACI-Bench dialogues (PHI-free)',
    license: 'CC BY 4.0',
    homepage: 'https://github.com/abachaa/MTS-Dialog',
    files: [
      {file: DATASET_FILES.clinical[0], sizeBytes: 74_054, sha256: '227206520c4534381c0d7fba6d3f09319a9af5a6d9603a93c0341af1198e3958'},
      {file: DATASET_FILES.clinical[1], sizeBytes: 177_400, sha256: '6629e89e3fb409d2b3eceab60dc7b32fe1d3fb8d4e07795039284965522aa4d0'},
      {file: DATASET_FILES.clinical[2], sizeBytes: 349_998, sha256: '5cc4008e68545f84913744a8e493a58bdf17ba7e1b7a0be46d6943d6bfca9471'},
    ],
    notDownloadable: 'no download of the dialogue CSV files with a known sha256 is catalogued yet',
  },
  'vqa-rad': {
    title: 'VQA-RAD',
    license: 'CC0 1.0',
    homepage: 'https://osf.io/89kps/',
    files: [{file: DATASET_FILES['vqa-rad'], sizeBytes: 1_419_295, sha256: '948b7156059b864cf72344fb10669233526b175c243e5a046d20d4201d297a95'}],
    notDownloadable: 'its images are only published inside a zip archive on OSF',
  },
}

/** The environment variable naming a JSON file whose entries replace the built-in ones, by task. */
export const DATASETS_CATALOG_ENV = 'JSL_MED_DATASETS_CATALOG'

const SHA256 = /^[\da-f]{64}$/

/**
 * Checks a dataset catalog read from JSON (`{"medqa": {title, license, homepage, files: [{file, sizeBytes, sha256,
 * hub?: {repo, revision, path}}], notDownloadable?}}`) and returns it; the problem found, else. Every file needs a
 * sha256, so that no download goes unchecked.
 */
export function checkDatasetCatalog(value: unknown, tasks: readonly string[]): {catalog: DatasetCatalog} | {problem: string} {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {problem: 'the top level must be an object keyed by task'}
  for (const [task, entry] of Object.entries(value as Record<string, Partial<DatasetEntry>>)) {
    if (!tasks.includes(task)) return {problem: `unknown task "${task}"`}
    if (typeof entry?.homepage !== 'string' || typeof entry.title !== 'string' || typeof entry.license !== 'string' || !Array.isArray(entry.files)) {
      return {problem: `${task}: needs "title", "license", "homepage" and "files"`}
    }

    for (const file of entry.files as Array<Partial<DatasetFile>>) {
      if (typeof file?.file !== 'string' || file.file.split('/').includes('..') || file.file.startsWith('/')) return {problem: `${task}: a file needs a relative "file" path`}
      if (typeof file.sha256 !== 'string' || !SHA256.test(file.sha256)) return {problem: `${task}: ${file.file} needs a lowercase hex "sha256"`}
      if (!Number.isInteger(file.sizeBytes) || (file.sizeBytes as number) < 0) return {problem: `${task}: ${file.file} needs "sizeBytes"`}
      const hub = file.hub
      if (hub !== undefined && (typeof hub?.repo !== 'string' || typeof hub.revision !== 'string' || typeof hub.path !== 'string')) {
        return {problem: `${task}: ${file.file} has a "hub" without "repo", "revision" and "path"`}
      }
    }
  }

  return {catalog: value as DatasetCatalog}
}
