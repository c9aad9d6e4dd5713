export {openRecords, splitLines} from './read-records.js'
export type {InputFormat, InputRecord, OpenRecordsOptions, RecordSource} from './read-records.js'
export {createLineWriter} from './write-records.js'
export type {LineWriter} from './write-records.js'
