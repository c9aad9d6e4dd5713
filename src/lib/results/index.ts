// The bench history: every record `jsl-med bench` prints, appended per machine under the data directory, and the
// newest measured figures per model file that `hw` cites. The only I/O is reading and appending those files.
export {appendToHistory, HISTORY_DIR, historyFile, readHistory} from './history.js'
export type {History, HistoryRecord} from './history.js'
export {hardwareKey, machineKey} from './key.js'
export {selectMeasurements} from './measurements.js'
