import {createWriteStream} from 'node:fs'
import {once} from 'node:events'

import {ConfigError} from '../errors/index.js'
import {createLineWriter} from '../io/index.js'
import type {RecordReport} from '../pipeline/index.js'

/** The facts shared by every line of one run's audit log. */
export interface AuditRunInfo {
  task: string
  engine: string
  /** sha256 of the model file (absent for the echo engine). */
  modelSha256?: string
  /** The LoRA adapters applied: path as given, scale and sha256 of each; absent when none. */
  lora?: ReadonlyArray<{path: string; scale: number; sha256: string}>
  /** Generation parameters and other settings that shape the output. */
  parameters: Record<string, unknown>
}

/** An open audit log: one JSON line per record, never any record text. */
export interface AuditLog {
  write(report: RecordReport): Promise<void>
  close(): Promise<void>
}

/**
 * Opens (appending, so that resumed runs extend it) an audit log at `path`. Each line holds the record's
 * id and line, input sha256, model sha256 (and each LoRA adapter's), task, parameters, timings, token counts and status.
 */
export async function openAuditLog(path: string, run: AuditRunInfo): Promise<AuditLog> {
  const stream = createWriteStream(path, {flags: 'a'})
  try {
    await once(stream, 'open')
  } catch (error) {
    throw new ConfigError(`Cannot write the audit log ${path}: ${(error as NodeJS.ErrnoException).code}`, {cause: error, hint: 'Check the path given to --audit.'}, 'E_AUDIT_FILE')
  }

  const writer = createLineWriter(stream)
  return {
    write: (report) =>
      writer.writeRecord({
        time: new Date().toISOString(),
        task: run.task,
        ...(report.ref.id === undefined ? {} : {id: report.ref.id}),
        line: report.ref.line,
        status: report.status,
        ...(report.errorCode ? {error_code: report.errorCode} : {}),
        input_sha256: report.inputSha256 ?? null,
        model_sha256: run.modelSha256 ?? null,
        ...(run.lora ? {lora: run.lora} : {}),
        engine: run.engine,
        parameters: run.parameters,
        duration_ms: Math.round(report.durationMs),
        calls: report.calls,
        prompt_tokens: report.promptTokens,
        output_tokens: report.outputTokens,
      }),
    async close() {
      stream.end()
      await once(stream, 'finish')
    },
  }
}
