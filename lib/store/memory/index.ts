/** The embedded in-memory Redis store of rxgears. */
export { MemoryStore, DEFAULT_MEMORY_STORE_OPTIONS, type MemoryStoreOptions } from './MemoryStore.ts';
export { globMatch, compileGlob } from './glob.ts';
export {
  MemorySession,
  Status,
  NULL_ARRAY,
  nilIsNullArray,
  withNullArrays,
  type OutsideCommands,
  type QueuedEntry,
  type SessionReply,
} from './session.ts';
