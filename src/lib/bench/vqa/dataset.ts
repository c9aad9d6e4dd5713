import {access, readFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {InputError} from '../../errors/index.js'
import {DATASET_FILES, findDataFile} from '../datasets/load.js'
import {isClosedAnswer} from './score.js'

/** One VQA-RAD question about one image. */
export interface VqaItem {
  qid: string
  /** The image file, inside the dataset's `images/` folder. */
  imagePath: string
  question: string
  /** The reference answer as published. */
  answer: string
  /** The dataset's own CLOSED/OPEN label; scoring decides closedness from the answer instead (see isClosedAnswer). */
  answerType: string
}

/** The VQA-RAD test questions to score, and what was read. */
export interface VqaCorpus {
  items: VqaItem[]
  /** The JSON file read. */
  files: string[]
  /** Test questions left out because their image file is not in `images/`. */
  missingImages: number
}

/** VQA-RAD's test split (MultiMedEval scores the test split): its free-form and paraphrased questions. */
const TEST_PHRASE_TYPES = new Set(['test_freeform', 'test_para'])
const HINT = 'Expected VQA-RAD as published (VQA_RAD Dataset Public.json): a JSON list of {qid, image_name, question, answer, answer_type, phrase_type}.'

const isText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== ''

/** Parses the VQA-RAD JSON list, keeping the test split; image paths are resolved against `imageDir`. */
export function parseVqaRad(text: string, imageDir: string, source = 'vqa-rad'): VqaItem[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new InputError(`${source}: not valid JSON`, {hint: HINT, details: {source}}, 'E_DATASET')
  }

  if (!Array.isArray(value)) throw new InputError(`${source}: the top level must be a list`, {hint: HINT, details: {source}}, 'E_DATASET')
  const items: VqaItem[] = []
  for (const [index, entry] of (value as Array<Record<string, unknown>>).entries()) {
    if (!TEST_PHRASE_TYPES.has(String(entry?.phrase_type))) continue
    // Answers are sometimes numbers in the JSON (counts); they are compared as text.
    const answer = typeof entry.answer === 'number' ? String(entry.answer) : entry.answer
    if (!isText(entry.image_name) || !isText(entry.question) || !isText(answer)) {
      throw new InputError(`${source}: entry ${index + 1} lacks "image_name", "question" or "answer"`, {hint: HINT, details: {source, entry: index + 1}}, 'E_DATASET')
    }

    items.push({
      qid: String(entry.qid ?? index),
      imagePath: join(imageDir, entry.image_name),
      question: entry.question,
      answer,
      answerType: String(entry.answer_type ?? ''),
    })
  }

  return items
}

/**
 * Loads VQA-RAD's test questions from `dataDir` (`vqa-rad/vqa_rad.json`, images in `vqa-rad/images/`; found as
 * findDataFile finds the other datasets). Questions whose image is missing are left out and counted, so that a
 * partial copy of the images can still be scored; `limit` keeps the first N of the rest.
 */
export async function loadVqaRad(dataDir: string, options: {limit?: number} = {}): Promise<VqaCorpus> {
  const path = await findDataFile(dataDir, DATASET_FILES['vqa-rad'])
  const all = parseVqaRad(await readFile(path, 'utf8'), join(dirname(path), 'images'), path)
  const present = await Promise.all(all.map(async (item) => access(item.imagePath).then(() => true, () => false)))
  const items = all.filter((_, index) => present[index])
  if (items.length === 0) {
    throw new InputError(`no VQA-RAD test question of ${path} has its image in ${join(dirname(path), 'images')}`, {
      hint: 'Put the VQA-RAD images (synpic*.jpg) into the images/ folder next to vqa_rad.json.',
      details: {file: path},
    }, 'E_DATASET_MISSING')
  }

  return {items: options.limit === undefined ? items : items.slice(0, options.limit), files: [path], missingImages: all.length - items.length}
}

/** MultiMedEval's instruction before a closed question (one whose reference is yes or no). */
export const CLOSED_INSTRUCTION = 'Answer the following question with yes or no.'

/**
 * The user text of one question, as MultiMedEval's VQA-RAD prompt `<img> {question}` with the instruction before
 * closed questions (corentin-ryr/MultiMedEval multimedeval/vqa.py, VQARad.format_question); the vision engine shows
 * the image before this text, where `<img>` stood. MultiMedEval tests the answer of the Hugging Face copy, which is
 * lowercased; the cleaned answer makes the same test on the original file's `Yes`/`No`.
 */
export function vqaPrompt(item: Pick<VqaItem, 'answer' | 'question'>): string {
  return isClosedAnswer(item.answer) ? `${CLOSED_INSTRUCTION} ${item.question}` : item.question
}
