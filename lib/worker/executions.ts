import type { Shard } from '../cluster/topology.ts';
import type { ExecutionInfo, ExecutionStatus, RunResult } from '../engine/Execution.ts';
import type { ExecutionCommands, ExecutionRegistry, ExecutionSummary } from '../engine/ExecutionRegistry.ts';
import { GearsError } from '../errors.ts';
import type { RedisReply, ShardStore } from '../store/ShardStore.ts';
import { decodeValue, markAborted, pause, storeForKey, streamEntries, type RunKeys } from './protocol.ts';

/** A listed execution's hash and results stay this long after it ended (unless MaxExecutions newer ones push it out), ms. */
export const LISTED_TTL_MS = 3_600_000;
/** The execution directory and the id counter outlive the last run started by this much, ms. */
export const DIRECTORY_TTL_MS = 30 * 24 * 3_600_000;
/** The reason `RG.ABORTEXECUTION` writes: the driving front door then aborts its execution as a local abort does. */
export const ABORTED_BY_COMMAND = 'Execution aborted';

/** What the directory needs of the app: its keys, the store holding them, the masters (for results streams). */
export interface DirectoryOptions {
  keys: RunKeys;
  control: ShardStore;
  shards: readonly Shard[];
  /** The executions this front door drives (exact results, waited on without polling). */
  local: ExecutionRegistry;
  /** Settles once the end of this front door's execution `id` is written to Redis. */
  written(id: string): Promise<void>;
  /** The task ids, in shard order (a remote execution's `shards`). */
  shardIds: readonly string[];
}

/** An execution's hash as the directory reads it. */
interface Row {
  status: 'running' | 'done' | 'aborted';
  reason?: string;
  errors?: string[];
  results?: number;
  reader: string;
  desc?: string;
  created: number;
  ended?: number;
}

/**
 * The executions of every front door of an app, kept in Redis (README "Scaling out"): a ZSET
 * `executions` (id → sequence number) lists them, each has its hash `x:<id>` (status, reason, and once it
 * ended its errors and number of results) and its results stream. Any front door lists, reads, waits for,
 * aborts (status → aborted; the driving door and the workers see it within a tick) and drops them. A running
 * execution whose driving front door is gone (its `x:<id>:driver` key lapsed) is marked aborted by whoever
 * looks first, so none stays "running" for longer than a lease.
 */
export class ExecutionDirectory implements ExecutionCommands {
  constructor(private readonly options: DirectoryOptions) {}

  async dump(): Promise<ExecutionSummary[]> {
    const { control, keys } = this.options;
    const ids = ((await control.call('ZRANGE', keys.executions, 0, -1)) as string[]).map(String);
    const rows = await this.statuses(ids);
    const gone = ids.filter((_, i) => rows[i] === undefined);
    if (gone.length > 0) await control.call('ZREM', keys.executions, ...gone);
    return ids.flatMap((id, i) => {
      const status = rows[i];
      return status === undefined ? [] : [{ executionId: id, status: status as ExecutionStatus, registered: false }];
    });
  }

  async results(id: string): Promise<RunResult<unknown>> {
    const row = await this.row(id);
    const local = this.localOf(id);
    if (local?.finished) return local.result();
    if (row.status === 'running') throw new GearsError('execution is still running', { executionId: id });
    return this.read(id, row);
  }

  async resultsWhenDone(id: string): Promise<RunResult<unknown>> {
    await this.row(id);
    if (this.localOf(id)) return this.options.local.resultsWhenDone(id);
    let wait = 5;
    for (;;) {
      const row = await this.row(id);
      if (row.status !== 'running') return this.read(id, row);
      await pause(wait);
      wait = Math.min(wait * 2, 200);
    }
  }

  async abort(id: string): Promise<void> {
    const row = await this.row(id);
    if (this.localOf(id)) return this.options.local.abort(id);
    if (row.status === 'running') await markAborted(this.options.control, this.options.keys, id, ABORTED_BY_COMMAND);
  }

  async drop(id: string): Promise<void> {
    if (this.localOf(id)?.finished) await this.options.written(id);
    const row = await this.row(id);
    if (row.status === 'running')
      throw new GearsError('can not drop a not yet finished execution, abort it first.', { executionId: id });
    if (this.localOf(id)) this.options.local.drop(id);
    await this.forget([id]);
  }

  async info(id: string): Promise<ExecutionInfo> {
    const row = await this.row(id);
    const local = this.localOf(id);
    if (local) return local.info();
    const { results, errors } = row.status === 'running' ? { results: [], errors: [] } : await this.read(id, row);
    const end = row.ended ?? Date.now();
    const shardStatus = row.status === 'running' ? 'running' : row.status;
    return {
      executionId: id,
      status: row.status,
      registered: false,
      reader: row.reader,
      desc: row.desc,
      shards: this.options.shardIds.map((shardId) => ({
        id: shardId,
        status: shardStatus,
        readDone: row.status !== 'running',
      })),
      shardsReceived: this.options.shardIds.length,
      shardsCompleted: row.status === 'done' ? this.options.shardIds.length : 0,
      results: results.length,
      errors,
      totalDurationMs: end - row.created,
      readDurationMs: end - row.created,
      // Per-step counters stay with the driving front door (RG.GETEXECUTION there has them).
      steps: [],
    };
  }

  /**
   * The commands listing a new execution, for the transaction that starts it: the directory and the id counter
   * expire once no run started for `DIRECTORY_TTL_MS`. The last reply is the number listed.
   */
  listing(id: string, sequence: number): (readonly [string, ...(string | number)[]])[] {
    const { keys } = this.options;
    return [
      ['ZADD', keys.executions, sequence, id],
      ['PEXPIRE', keys.executions, DIRECTORY_TTL_MS],
      ['PEXPIRE', keys.seq, DIRECTORY_TTL_MS],
      ['ZCARD', keys.executions],
    ];
  }

  /** Drops the oldest finished executions beyond `max` (running ones are never dropped), as RedisGears. */
  async trim(max: number): Promise<void> {
    const { control, keys } = this.options;
    const ids = ((await control.call('ZRANGE', keys.executions, 0, -1)) as string[]).map(String);
    let excess = ids.length - max;
    if (excess <= 0) return;
    const rows = await this.statuses(ids);
    const victims: string[] = [];
    for (let i = 0; i < ids.length && excess > 0; i++) {
      if (rows[i] === 'running') continue;
      victims.push(ids[i]!);
      if (rows[i] !== undefined) excess--;
    }
    await this.forget(victims);
  }

  private localOf(id: string) {
    try {
      return this.options.local.get(id);
    } catch {
      return undefined;
    }
  }

  private async forget(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const { control, keys, shards } = this.options;
    const tx = await control.transaction();
    await tx.commit([['ZREM', keys.executions, ...ids], ...ids.map((id) => ['DEL', keys.execution(id)] as const)]);
    const storeOf = storeForKey(shards);
    for (const id of ids) await storeOf(keys.out(id)).call('DEL', keys.out(id));
  }

  /**
   * Each execution's status (undefined: gone), in one transaction. A running one whose driving front door is
   * gone is marked aborted here.
   */
  private async statuses(ids: readonly string[]): Promise<(string | undefined)[]> {
    if (ids.length === 0) return [];
    const { control, keys } = this.options;
    const tx = await control.transaction();
    const replies = (await tx.commit(
      ids.flatMap((id) => [['HGET', keys.execution(id), 'status'] as const, ['EXISTS', keys.driver(id)] as const]),
    ))!;
    const statuses: (string | undefined)[] = [];
    for (let i = 0; i < ids.length; i++) {
      const status = replies[2 * i];
      if (status === null || status === undefined) statuses.push(undefined);
      else if (status === 'running' && Number(replies[2 * i + 1]) === 0) statuses.push(await this.orphaned(ids[i]!));
      else statuses.push(String(status));
    }
    return statuses;
  }

  /** A running execution without its driving front door: marked aborted (by this call or a racing one). */
  private async orphaned(id: string): Promise<'aborted' | 'done'> {
    const { control, keys } = this.options;
    await markAborted(control, keys, id, `the driver of execution ${id} is gone`);
    await control.call('PEXPIRE', keys.execution(id), LISTED_TTL_MS);
    const status = await control.call('HGET', keys.execution(id), 'status');
    return status === 'done' ? 'done' : 'aborted';
  }

  /** The execution's hash, or `execution plan does not exist`. */
  private async row(id: string): Promise<Row> {
    const { control, keys } = this.options;
    const key = keys.execution(id);
    const fields = ['status', 'reason', 'errors', 'results', 'reader', 'desc', 'created', 'ended'] as const;
    const [reply, driver] = (await (
      await control.transaction()
    ).commit([
      ['HMGET', key, ...fields],
      ['EXISTS', keys.driver(id)],
    ]))! as [RedisReply[], RedisReply];
    const [status, reason, errors, results, reader, desc, created, ended] = reply.map((v) =>
      v === null ? undefined : String(v),
    );
    if (status === undefined || reader === undefined) {
      // Dropped by another front door (or expired): this door's copy goes too.
      if (this.localOf(id)?.finished) this.options.local.drop(id);
      throw new GearsError('execution plan does not exist', { executionId: String(id) });
    }
    const row: Row = {
      status: status as Row['status'],
      ...(reason !== undefined ? { reason } : {}),
      ...(errors !== undefined ? { errors: JSON.parse(errors) as string[] } : {}),
      ...(results !== undefined ? { results: Number(results) } : {}),
      reader,
      ...(desc ? { desc } : {}),
      created: Number(created),
      ...(ended !== undefined ? { ended: Number(ended) } : {}),
    };
    if (row.status === 'running' && Number(driver) === 0) row.status = await this.orphaned(id);
    return row;
  }

  /**
   * An ended execution's results, from its results stream: the records the driving front door took (all of
   * them when it died first), and the errors it reported — or, without it, every part's errors and the reason.
   */
  private async read(id: string, row: Row): Promise<RunResult<unknown>> {
    const out = this.options.keys.out(id);
    const store = storeForKey(this.options.shards)(out);
    const results: unknown[] = [];
    const errors: string[] = [];
    let lastId = '0-0';
    for (;;) {
      const entries = streamEntries(await store.call('XREAD', 'COUNT', 256, 'STREAMS', out, lastId));
      if (entries.length === 0) break;
      for (const [entryId, fields] of entries) {
        lastId = entryId;
        const batch = fields.get('r');
        if (batch !== undefined) results.push(...(decodeValue(batch) as unknown[]));
        const partErrors = fields.get('errors');
        if (fields.has('done') && partErrors !== undefined) errors.push(...(JSON.parse(partErrors) as string[]));
      }
    }
    if (row.errors === undefined && row.status === 'aborted' && row.reason !== undefined) errors.push(row.reason);
    return {
      results: row.results === undefined ? results : results.slice(0, row.results),
      errors: row.errors ?? errors,
    };
  }
}
