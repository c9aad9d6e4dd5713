import type {ChatExample, Engine} from '../engine/index.js'

/** Generation settings every task command shares (flags of the same names). */
export interface TaskSettings {
  /** Upper bound of generated tokens per model call. */
  maxTokens: number
  /** Sampling temperature; 0 is greedy and deterministic. */
  temperature: number
  /** Sampling seed, used when temperature > 0. */
  seed?: number
  /**
   * Few-shot turns (`--examples`, see `readExamples`), placed after the system prompt of the task's main call, so that
   * they are part of the prefix every record shares. Default none.
   */
  examples?: readonly ChatExample[]
}

/** What a task gets for one record. */
export interface TaskContext {
  engine: Engine
  settings: TaskSettings
  signal?: AbortSignal
  /** The whole input record, for tasks that read more than the text field (vlm reads the question); read-only. */
  record?: Readonly<Record<string, unknown>>
  /** The record's line and id, for tasks that report about records elsewhere (deid's `--map`). */
  ref?: {line: number; id?: number | string}
}

/**
 * A clinical task: turns one record's text into a result stored under `outputField`.
 * `run` may call the engine several times (e.g. to chunk a long note) and throws AppErrors for
 * record-level failures; it must never put the record's text into an error message.
 */
export interface Task<Result = unknown> {
  name: string
  /** The field added to each output record, e.g. `summary`. */
  outputField: string
  run(text: string, context: TaskContext): Promise<Result>
  /** The result as human-readable text, for `--format text`. */
  renderText(result: Result): string
  /**
   * The fields the result adds to an output record; default `{[outputField]: result}`. Lets a task add more
   * than one field (e.g. `entities` and `dropped`) or leave out a field that has nothing to say.
   */
  toRecord?(result: Result): Record<string, unknown>
  /**
   * Input fields the output record leaves out, e.g. the text that `deid` replaces (the record contract keeps every
   * other input field untouched). Default none.
   */
  omitFields?: readonly string[]
  /**
   * True when the result is structured data (ner, soap) rather than text (summarize): plain-text input then
   * defaults to NDJSON output unless stdout is a terminal, so that `jsl-med ner < note.txt | jsl-med soap` composes.
   * Default false.
   */
  structured?: boolean
  /**
   * Turns a few-shot example (an input text and an output in the command's output shape: the fields it adds to a
   * record) into the reply the model should give, checking it; throws an Error saying what is wrong (never the text).
   * Tasks without it do not take `--examples`.
   */
  exampleReply?(input: string, output: Record<string, unknown>): string
}
