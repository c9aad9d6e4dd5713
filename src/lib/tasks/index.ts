export {summarizeTask} from './summarize/index.js'
export type {Task, TaskContext, TaskSettings} from './types.js'
