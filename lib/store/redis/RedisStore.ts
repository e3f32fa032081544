import { exists, hasFlag } from '@ioredis/commands';
import { Redis, type RedisOptions } from 'ioredis';
import { type Observable, ReplaySubject, share, takeUntil, throwError } from 'rxjs';
import { GearsError } from '../../errors.ts';
import type {
  GroupReadReply,
  GroupReadRequest,
  KeyData,
  KeyspaceEvent,
  RedisArg,
  RedisReply,
  ScanOptions,
  ScanPage,
  ShardStore,
  StoreTransaction,
  StreamEntry,
} from '../ShardStore.ts';
import {
  addressOf,
  closeClient,
  createClient,
  createClientFromUrl,
  lastErrorOf,
  send,
  sendDirect,
  watchErrors,
} from './connection.ts';
import { RedisConnectionError } from './errors.ts';
import { keyspaceSource } from './keyspace.ts';
import {
  type PipelineGuess,
  READ_KEYS_SCRIPT,
  type ReadStrategy,
  readKeysByPipeline,
  readKeysByScript,
} from './readKeys.ts';
import { PipelinedReader } from './pipelinedReads.ts';
import { toReply, toStoreError, toStreamEntries } from './replies.ts';
import { StreamGroupReads } from './streamReads.ts';
import { readGroupEntries } from '../groupEntries.ts';
import { wireArgs } from '../bytes.ts';
import { TransactionPool } from './transaction.ts';
import { isRedisClient } from './clientShape.ts';
import { endpointKey, endpointOfOptions, type WireEndpoint } from './wire.ts';
import { isSentinelClient, sentinelEndpoint } from './sentinelEndpoint.ts';

export interface RedisStoreOptions {
  /** How `readKeys` reads a batch (see `ReadStrategy`). Default `'pipeline'`. */
  readStrategy?: ReadStrategy;
  /**
   * Whether `keyspaceEvents()` turns `notify-keyspace-events` on with CONFIG SET (default true). Set false
   * where the setting is managed elsewhere and CONFIG is refused: the store then subscribes and trusts it.
   */
  configureKeyspaceEvents?: boolean;
  /** For a client passed in: whether `close()` closes it too (default false: it is the caller's). */
  closeClient?: boolean;
  /** ioredis options over rxgears' defaults, for a URL or options source. */
  redisOptions?: RedisOptions;
}

export const DEFAULT_REDIS_STORE_OPTIONS = {
  readStrategy: 'pipeline',
  configureKeyspaceEvents: true,
} as const satisfies RedisStoreOptions;

/**
 * Commands that change the state of a connection. The store's connection is shared by every caller (and
 * auto-pipelined), so one caller's MULTI or SELECT would capture the others' commands.
 */
const CONNECTION_STATE_COMMANDS = new Set([
  'AUTH',
  'DISCARD',
  'EXEC',
  'HELLO',
  'MONITOR',
  'MULTI',
  'PSUBSCRIBE',
  'PUNSUBSCRIBE',
  'QUIT',
  'RESET',
  'SELECT',
  'SSUBSCRIBE',
  'SUBSCRIBE',
  'SUNSUBSCRIBE',
  'UNSUBSCRIBE',
  'UNWATCH',
  'WATCH',
]);

/** XREAD/XREADGROUP block only with BLOCK; the others with the `blocking` flag always do. */
function isBlocking(command: string, args: readonly RedisArg[]): boolean {
  if (command === 'XREAD' || command === 'XREADGROUP') return args.some((arg) => String(arg).toUpperCase() === 'BLOCK');
  return exists(command, { caseInsensitive: true }) && hasFlag(command, 'blocking', { nameCaseInsensitive: true });
}

/** The server will not run scripts for us: ACL without `@scripting`, EVAL renamed away or disabled. */
function isScriptRefusal(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof RedisConnectionError) return false;
  return /^(NOPERM|ERR unknown command|ERR .*disabled)/.test(error.message);
}

/**
 * `ShardStore` over one Redis node — a standalone server or one Cluster master — with ioredis.
 * One auto-pipelined connection for commands — a command alone in its turn of the event loop (the next stream
 * batch) is written at once, past the auto-pipeline (`send`); one raw connection for `scan` and `readKeys`
 * (`PipelinedReader`: a write whose reply has come back is seen by the reads that follow; a SCAN page and the
 * reads of the page before it, sent in one turn, go in one write); one subscriber
 * connection, opened while someone listens to `keyspaceEvents()`; one short-lived connection per blocking
 * command.
 *
 * @example
 * const store = new RedisStore('redis://127.0.0.1:6379');
 * const page = await store.scan('0', { match: 'person:*' });
 * console.log(await store.readKeys(page.keys));
 * await store.close();
 */
export class RedisStore implements ShardStore {
  readonly kind = 'redis';
  /** `host:port` of the node. */
  readonly address: string;
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly options: Required<Pick<RedisStoreOptions, 'readStrategy' | 'configureKeyspaceEvents'>>;
  private readonly keyspace$: Observable<KeyspaceEvent>;
  /** Every connection of blocking commands, busy or idle (closed with the store). */
  private readonly blockingClients = new Set<Redis>();
  private readonly idleBlocking: Redis[] = [];
  private readonly closed$ = new ReplaySubject<void>(1);
  private readonly closingConnections = new Set<Promise<void>>();
  private readonly unwatchErrors: () => void;
  private scriptSha: string | undefined;
  /** Whether the client finds its node through Sentinel: the raw connections then follow it (`rawEndpoint`). */
  private readonly sentinel: boolean;
  /** The raw connections' endpoint of a client at a fixed address. */
  private fixedEndpoint: WireEndpoint | undefined;
  /** The node a Sentinel client's raw connections go to now. */
  private followed: WireEndpoint | undefined;
  private pipelinedReader: PipelinedReader | undefined;
  private groupReads: StreamGroupReads | undefined;
  /** The guess of `readKeysByPipeline` (the `'pipeline'` reads through ioredis). */
  private readonly pipelineGuess: PipelineGuess = { type: undefined };
  private closing: Promise<void> | undefined;
  private transactions: TransactionPool | undefined;
  private keyspaceLive: Promise<void> = Promise.resolve();
  private keyspaceBarrierOf: () => Promise<void> = () => Promise.resolve();

  constructor(connection: string | RedisOptions | Redis, options: RedisStoreOptions = {}) {
    if (isRedisClient(connection)) {
      this.client = connection;
      this.ownsClient = options.closeClient ?? false;
    } else {
      this.client =
        typeof connection === 'string'
          ? createClientFromUrl(connection, options.redisOptions)
          : createClient({ ...(connection as RedisOptions), ...options.redisOptions });
      this.ownsClient = true;
    }
    this.options = {
      readStrategy: options.readStrategy ?? DEFAULT_REDIS_STORE_OPTIONS.readStrategy,
      configureKeyspaceEvents: options.configureKeyspaceEvents ?? DEFAULT_REDIS_STORE_OPTIONS.configureKeyspaceEvents,
    };
    this.address = addressOf(this.client);
    this.sentinel = isSentinelClient(this.client.options);
    this.unwatchErrors = watchErrors(this.client);
    // share(): one subscriber connection however many subscribe; torn down when the last one leaves,
    // re-created by the next subscriber (also after an error).
    this.keyspace$ = keyspaceSource({
      client: this.client,
      address: this.address,
      db: this.client.options.db ?? 0,
      configure: this.options.configureKeyspaceEvents,
      track: (closing) => {
        this.closingConnections.add(closing);
        void closing.finally(() => this.closingConnections.delete(closing));
      },
      started: (ready, barrier) => {
        this.keyspaceLive = ready;
        this.keyspaceBarrierOf = barrier;
        ready.catch(() => undefined); // reported through the Observable; this copy is for keyspaceReady()
      },
    }).pipe(takeUntil(this.closed$), share());
  }

  /**
   * Calls `listener('lost', error)` when the connection drops (not on `close()`), then `listener('regained')`
   * once ioredis has reconnected: for the engine's log. Returns the function that stops listening.
   */
  onConnection(listener: (event: 'lost' | 'regained', error?: Error) => void): () => void {
    let lost = false;
    const onClose = (): void => {
      if (lost || this.closing) return;
      lost = true;
      listener('lost', lastErrorOf(this.client));
    };
    const onReady = (): void => {
      if (!lost || this.closing) return;
      lost = false;
      listener('regained');
    };
    this.client.on('close', onClose);
    this.client.on('ready', onReady);
    return () => {
      this.client.off('close', onClose);
      this.client.off('ready', onReady);
    };
  }

  async scan(cursor: string, options: ScanOptions = {}): Promise<ScanPage> {
    const args: string[] = [cursor];
    // MATCH * matches every key; without it Redis skips a glob match per key (~8% of SCAN's CPU on 1M keys).
    if (options.match !== undefined && options.match !== '*') args.push('MATCH', options.match);
    if (options.count !== undefined) args.push('COUNT', String(options.count));
    if (options.type !== undefined) args.push('TYPE', options.type);
    const raw = this.rawReader();
    if (raw) {
      try {
        return await this.run(() => raw.scan(args));
      } catch (error) {
        if (!this.readAgain(error)) throw error;
      }
    }
    // A page as text: a Buffer per key cost 1.7× the client CPU of text on 1M keys (bench workload 2). A key that
    // is not valid UTF-8 decodes with U+FFFD, so a page holding one is read again, the same cursor, as bytes
    // (SCAN's guarantees hold for any cursor it returned; a key that is really U+FFFD text just costs that read).
    const text = await this.run((client) => sendDirect(client, 'SCAN', args, 'utf8'));
    const [next, keys] = Array.isArray(text) ? (text as [string, string[]]) : [];
    if (Array.isArray(keys) && !keys.some((key) => key.includes('\ufffd'))) return { cursor: String(next), keys };
    const reply = await this.run((client) => send(client, 'SCAN', args));
    const [nextRaw, rawKeys] = Array.isArray(reply) ? reply : [];
    return {
      cursor: String(toReply(nextRaw)),
      keys: Array.isArray(rawKeys) ? rawKeys.map((key) => String(toReply(key))) : [],
    };
  }

  async readKeys(keys: readonly string[], options: { readValue?: boolean } = {}): Promise<KeyData[]> {
    if (keys.length === 0) return [];
    const readValue = options.readValue ?? true;
    // TYPE alone is one pipelined round either way, and needs no scripting permission.
    if (!readValue || this.options.readStrategy === 'pipeline') return this.readByPipeline(keys, readValue);
    try {
      return await this.run(async (client) => {
        this.scriptSha ??= String(await client.call('SCRIPT', 'LOAD', READ_KEYS_SCRIPT));
        return readKeysByScript(client, this.scriptSha, keys, readValue);
      });
    } catch (error) {
      if (!isScriptRefusal(error)) throw error;
      // Scripts refused: stay on pipelines from now on.
      this.options.readStrategy = 'pipeline';
      return this.readByPipeline(keys, readValue);
    }
  }

  /**
   * The `'pipeline'` strategy: on a raw connection of the store's own (`PipelinedReader`), or through ioredis
   * while the command connection is not ready (ioredis then queues the read until it reconnects or gives up, and
   * reports a node that is down as every other command does), and for a batch whose raw connection was left
   * behind by a Sentinel failover (`readAgain`).
   */
  private async readByPipeline(keys: readonly string[], readValue: boolean): Promise<KeyData[]> {
    const raw = this.rawReader();
    if (raw) {
      try {
        return await this.run(() => raw.read(keys, readValue));
      } catch (error) {
        if (!this.readAgain(error)) throw error;
      }
    }
    return this.run((client) => readKeysByPipeline(client, keys, readValue, this.pipelineGuess));
  }

  /**
   * Whether a raw read of a Sentinel client is made again through ioredis: its connection broke or could not
   * open — in a failover the old master closes it, and is a replica when it is reopened (`WireEndpoint.role`).
   * ioredis waits for its own reconnection to the new master (or gives up and says why, as for any command);
   * reads can be repeated. The next batch's raw connection goes where ioredis is connected then (`rawEndpoint`).
   */
  private readAgain(error: unknown): boolean {
    return this.sentinel && error instanceof RedisConnectionError && this.closing === undefined;
  }

  /**
   * The raw connection of SCAN pages and `'pipeline'` reads (`PipelinedReader`), or undefined while the command
   * connection is not ready: reads then go through ioredis, which queues a command until it reconnects or gives up
   * and reports a node that is down as for every other command. A client's `keyPrefix` goes before every key read,
   * as ioredis puts it.
   */
  private rawReader(): PipelinedReader | undefined {
    const endpoint = this.rawEndpoint();
    if (endpoint === undefined) return undefined;
    const options = this.client.options;
    this.pipelinedReader ??= new PipelinedReader(
      endpoint,
      this.address,
      options.commandTimeout,
      options.keyPrefix ? Buffer.from(options.keyPrefix, 'utf8') : undefined,
    );
    return this.pipelinedReader;
  }

  /**
   * @internal where the server's raw proxy sends this node's requests: the client's node, or for a Sentinel client
   * the master ioredis is connected to, or was last (while it reconnects: a connection opened to a demoted master
   * fails its ROLE check); undefined before a Sentinel client first connected.
   */
  wireEndpoint(): WireEndpoint | undefined {
    if (!this.sentinel) return (this.fixedEndpoint ??= endpointOfOptions(this.client.options));
    return this.rawEndpoint() ?? this.followed;
  }

  /** @internal whether `wireEndpoint()` follows a Sentinel client's master (it changes after a failover). */
  get followsMaster(): boolean {
    return this.sentinel;
  }

  /**
   * Where the raw connections (`rawReader`, `readGroup`) go: the client's node, or for a Sentinel client the node
   * its command connection is connected to now (`sentinelEndpoint`); undefined while that connection is not ready.
   * When a Sentinel client has moved to another node (a failover), the raw connections to the old one are closed
   * — a batch in flight there fails with a connection error, and is read again (`readAgain`) — and new
   * ones open to the new node.
   */
  private rawEndpoint(): WireEndpoint | undefined {
    if (this.client.status !== 'ready') return undefined;
    if (!this.sentinel) return (this.fixedEndpoint ??= endpointOfOptions(this.client.options));
    const endpoint = sentinelEndpoint(this.client);
    if (endpoint === undefined) return undefined;
    if (
      endpoint !== this.followed &&
      (this.followed === undefined || endpointKey(endpoint) !== endpointKey(this.followed))
    ) {
      this.pipelinedReader?.close();
      this.pipelinedReader = undefined;
      this.groupReads?.close();
      this.groupReads = undefined;
    }
    this.followed = endpoint;
    return endpoint;
  }

  async xrange(key: string, start: string, end: string, count?: number): Promise<StreamEntry[]> {
    const args = count === undefined ? [key, start, end] : [key, start, end, 'COUNT', String(count)];
    return toStreamEntries(await this.run((client) => send(client, 'XRANGE', args)));
  }

  /**
   * XACK and XREADGROUP in one write on a raw connection of the store's own (`StreamGroupReads`, following a
   * Sentinel client's master as `rawEndpoint` says), or through ioredis — both sent in this turn, in order — while
   * that connection is not ready. A read in flight when the connection breaks (a failover) fails with a
   * connection error, as on any connection: the caller reads again, and the XACK's outcome is unknown.
   */
  readGroup(request: GroupReadRequest): Promise<GroupReadReply> {
    const reads = this.groupReadConnection();
    if (reads !== undefined) return this.run(() => reads.read(request), false); // one connection: in order already
    const { key, group, consumer, count, id, ack } = request;
    const acked =
      ack !== undefined && ack.length > 0
        ? this.run((client) => send(client, 'XACK', [key, group, ...ack])).then(
            () => undefined,
            (error: unknown) => error as Error,
          )
        : undefined;
    const read = this.run((client) =>
      send(client, 'XREADGROUP', ['GROUP', group, consumer, 'COUNT', count, 'STREAMS', key, id]),
    );
    return Promise.all([acked, read]).then(([ackError, reply]) => ({
      ackError,
      entries: readGroupEntries(key, toReply(reply)),
    }));
  }

  /**
   * XACK alone on the connection `readGroup` reads on (in order with the reads sent before it, without waiting
   * for their replies), or on the command connection while that one is not ready.
   */
  async acknowledgeGroup(key: string, group: string, ids: readonly string[]): Promise<void> {
    const reads = this.groupReadConnection();
    if (reads !== undefined) await this.run(() => reads.acknowledge(key, group, ids), false);
    else await this.run((client) => send(client, 'XACK', [key, group, ...ids]));
  }

  /** The raw connection of `readGroup` / `acknowledgeGroup`, or undefined while there is no raw endpoint. */
  private groupReadConnection(): StreamGroupReads | undefined {
    const endpoint = this.rawEndpoint();
    if (endpoint === undefined) return undefined;
    const options = this.client.options;
    return (this.groupReads ??= new StreamGroupReads(
      endpoint,
      this.address,
      options.commandTimeout,
      options.keyPrefix,
    ));
  }

  /**
   * Sends any command. Known command names go upper-cased so that ioredis applies none of its per-command
   * transformers (it turns an `hgetall` reply into an object, an `hset` Buffer argument into fields) and the
   * reply keeps its RESP2 shape; Redis' error texts name known commands in lower case whatever the caller
   * typed, so they do not change. Unknown names go as typed: Redis echoes them in `ERR unknown command '…'`.
   *
   * Blocking commands (BLPOP, XREAD … BLOCK, WAIT, …) get a connection of their own for their duration,
   * without the command timeout, so they hold up nobody else. Connection-state commands (MULTI, WATCH,
   * SELECT, SUBSCRIBE, …) are refused: the connection is shared.
   */
  async call(command: string, ...args: RedisArg[]): Promise<RedisReply> {
    const upper = command.toUpperCase();
    const name = exists(command, { caseInsensitive: true }) ? upper : command;
    if (CONNECTION_STATE_COMMANDS.has(upper)) {
      throw new GearsError(
        `${name} changes the state of the connection, which rxgears shares; it cannot be sent with call()`,
      );
    }
    if (!isBlocking(upper, args)) return toReply(await this.run((client) => send(client, name, args)));
    return this.run(async () => {
      const blocking = this.blockingConnection();
      let reusable = false;
      try {
        const reply = toReply(await blocking.callBuffer(name, ...wireArgs(args)));
        reusable = true;
        return reply;
      } finally {
        if (reusable && this.closing === undefined && blocking.status === 'ready' && this.idleBlocking.length < 4) {
          this.idleBlocking.push(blocking);
        } else {
          this.blockingClients.delete(blocking);
          await closeClient(blocking);
        }
      }
    });
  }

  /**
   * A connection for one blocking command: an idle one kept from an earlier blocking command that ended with a
   * reply (at most 4 are kept), or a new one. A follower that blocks in a loop (a worker waiting for runs, a
   * driver for results) then costs no connection set-up per wait.
   */
  private blockingConnection(): Redis {
    for (let idle = this.idleBlocking.pop(); idle !== undefined; idle = this.idleBlocking.pop()) {
      if (idle.status === 'ready') return idle;
      this.blockingClients.delete(idle);
      idle.disconnect();
    }
    const options: RedisOptions = { ...this.client.options, enableAutoPipelining: false, lazyConnect: false };
    delete options.commandTimeout;
    const blocking = new Redis(options);
    blocking.on('error', () => undefined);
    this.blockingClients.add(blocking);
    return blocking;
  }

  /** WATCH / MULTI / EXEC on a pooled connection of its own (the command connection is shared). */
  transaction(): Promise<StoreTransaction> {
    if (this.closing) throw new RedisConnectionError(this.address, `Redis ${this.address}: the store is closed`);
    this.transactions ??= new TransactionPool(this.client.options, this.address);
    return this.transactions.begin();
  }

  /**
   * Settles once the current `keyspaceEvents()` subscription is live (PSUBSCRIBE confirmed, notifications
   * configured), or rejects with why it cannot be (CONFIG refused).
   */
  keyspaceReady(): Promise<void> {
    return this.keyspaceLive;
  }

  /** Resolves once every keyspace notification published before the call has reached the subscribers. */
  async keyspaceBarrier(): Promise<void> {
    try {
      await this.keyspaceBarrierOf();
    } catch (error) {
      throw toStoreError(error, this.address);
    }
  }

  /** Hot and shared: see `keyspaceSource`. Completes when the store closes. */
  keyspaceEvents(): Observable<KeyspaceEvent> {
    if (this.closing)
      return throwError(() => new RedisConnectionError(this.address, `Redis ${this.address}: the store is closed`));
    return this.keyspace$;
  }

  /** Closes the connections the store opened (and a passed-in client only with `closeClient: true`). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed$.next();
      this.closed$.complete();
      if (!this.ownsClient) this.unwatchErrors();
      for (const blocking of this.blockingClients) blocking.disconnect();
      this.pipelinedReader?.close();
      this.groupReads?.close();
      await this.transactions?.close();
      await Promise.all(this.closingConnections);
      if (this.ownsClient) await closeClient(this.client);
    })();
    return this.closing;
  }

  /**
   * Runs one operation on the command connection, with errors converted to the store's. While stream reads are
   * in flight on their own connection (`readGroup`), it waits for them: commands keep the order they were sent
   * in, as on one connection.
   */
  private async run<T>(operation: (client: Redis) => Promise<T>, afterReads = true): Promise<T> {
    if (this.closing) throw new RedisConnectionError(this.address, `Redis ${this.address}: the store is closed`);
    const reading = afterReads ? this.groupReads?.pending : undefined;
    if (reading !== undefined) await reading;
    try {
      return await operation(this.client);
    } catch (error) {
      throw toStoreError(error, this.address, lastErrorOf(this.client));
    }
  }
}
