/**
 * rxgears: serverless data processing for Redis, on RxJS.
 *
 * @example
 * import { connect } from 'rxgears';
 * const gears = await connect();
 * const { results } = await gears.GB().countBy((r) => r.type).run('*');
 */
export { connect, type ConnectOptions, type RedisClient } from './connect.ts';
export { defineGears, type GearModule, type GearFactory } from './worker/gearModule.ts';
export type { DriverGears, DriverOptions } from './worker/driver.ts';
export {
  Gears,
  type GearsOptions,
  type GBFunction,
  type GearsLogger,
  type ClusterInfo,
  type RunHookOptions,
} from './Gears.ts';
export { stderrLogger, silentLogger, type Logger, type LogFields, type LogMethod } from './logger.ts';
export { GearsBuilder } from './builder/GearsBuilder.ts';
export type { RunOptions, ReaderTypes, ReaderRecord, ReaderArg, ReaderOptions } from './builder/readerTypes.ts';
export type { Step, StepKind } from './builder/steps.ts';
export type { Plan } from './builder/plan.ts';
export {
  Execution,
  type ExecutionStatus,
  type ExecutionInfo,
  type RunResult,
  type StepStats,
  type ShardProgress,
} from './engine/Execution.ts';
export type { ExecutionSummary } from './engine/ExecutionRegistry.ts';
export type { GearsEvent, GearsObserver } from './engine/observer.ts';
export { DEFAULT_CONFIG, type GearsConfig, type ConfigValue, type LogLevel } from './engine/config.ts';
export {
  execute,
  atomic,
  log,
  configGet,
  hashtag,
  callNext,
  overrideReply,
  registerTimeEvent,
} from './engine/runtime.ts';
export { TIME_EVENT_VALUE, type RegisterTimeEvent } from './engine/timeEvents.ts';
export {
  GearsError,
  GearsBuildError,
  RedisReplyError,
  RedisConnectionError,
  ExecutionAbortedError,
  ExecutionFailedError,
  formatError,
} from './errors.ts';
export { hashSlot, splitSlots, SLOT_COUNT, type SlotRange } from './cluster/slots.ts';
export { fromBytes, toBytes } from './store/bytes.ts';
export type { Shard, Topology } from './cluster/topology.ts';
export type { ShardTransport } from './cluster/transport.ts';
export type {
  ShardStore,
  RedisArg,
  RedisReply,
  KeyData,
  KeyType,
  ZSetMember,
  StreamEntry,
  KeyspaceEvent,
  StoreTransaction,
} from './store/ShardStore.ts';
export type { Group } from '../operators/localGroupBy.ts';
export type { KeysRecord, KeyNameRecord, StreamRecord, ReaderName, TimeEventRecord } from '../readers/index.ts';
