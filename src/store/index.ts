export type { Store, GroupState } from './types.js';
export { SqliteStore } from './sqlite.js';
