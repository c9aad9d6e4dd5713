// Human renderings of results, for stdout tables and stderr summaries. Numbers go through lib/format.
export {formatBenchTable, formatComparisonTable} from './bench-table.js'
export {renderHwReport} from './hw.js'
export type {RenderHwOptions} from './hw.js'
export {renderModelTable} from './models.js'
export {estimateRemainingMs, fitToWidth, formatDoneOfTotal, formatRate, formatRecordProgress, formatRecordSummary} from './progress.js'
export type {RecordProgressState} from './progress.js'
export {renderAddSummary, renderIndexListing, renderSearchHits} from './index-table.js'
