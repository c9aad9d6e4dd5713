// The oclif layer: the base command, flag groups, stderr logging, progress, Ctrl-C handling and renderers.
// The only lib code that knows oclif, ora or chalk; commands call it, and it calls the use cases.
export {BaseCommand, renderError} from './base-command.js'
export {runBenchCommand} from './bench-command.js'
export type {BenchCommandContext, BenchResult} from './bench-command.js'
export {createDownloadProgress, formatDuration} from './download-progress.js'
export type {DownloadProgressOptions, DownloadProgressRenderer} from './download-progress.js'
export {benchFlags, examplesFlags, generationFlags, indexFlags, loraFlags, modelFlags, parseLoraSpec, recordFlags, runtimeFlags, storeFlags, taskArgs, taskFlags} from './flags.js'
export type {BenchFlagValues, TaskFlagValues} from './flags.js'
export {trapInterrupt} from './interrupt.js'
export type {Interrupt} from './interrupt.js'
export {createStderrLogger} from './logger.js'
export type {Logger, LogLevel, StderrLoggerOptions} from './logger.js'
export {createStepProgress, createTaskProgress, PROGRESS_INTERVAL_ENV, progressIntervalMs} from './progress.js'
export type {ProgressOptions, StepProgressRenderer, TaskProgressRenderer} from './progress.js'
export {
  estimateRemainingMs,
  fitToWidth,
  formatBenchTable,
  formatComparisonTable,
  formatDoneOfTotal,
  formatRate,
  formatRecordProgress,
  formatRecordSummary,
  renderAddSummary,
  renderHwReport,
  renderIndexListing,
  renderSearchHits,
  renderModelTable,
} from './render/index.js'
export type {RecordProgressState, RenderHwOptions} from './render/index.js'
export {runDeidCommand, runTaskCommand} from './task-command.js'
export type {DeidCommandOptions, TaskCommandHooks} from './task-command.js'
export {HELP_PAGE_COLUMNS, HELP_PAGES_PATH, helpPageId, USER_AGENT_PLACEHOLDER, writePrerenderedHelp} from './help/pages.js'
export type {HelpPagesFile} from './help/pages.js'
export {runChatRepl} from './chat-repl.js'
export type {ChatReplOptions} from './chat-repl.js'
