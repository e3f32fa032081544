import { GearsError } from '../../errors.ts';

/**
 * A Redis node could not be reached or did not answer in time: refused connection, too many reconnection
 * attempts, command timeout, a closed store. Distinct from `ReplyError` (the node answered with an error),
 * so callers can retry on this one and not on that one.
 *
 * @example
 * try { await store.call('GET', 'k') } catch (e) { if (e instanceof RedisConnectionError) scheduleRetry() }
 */
export class RedisConnectionError extends GearsError {
  override readonly name = 'RedisConnectionError';
  /** `host:port` of the node. */
  readonly address: string;

  constructor(address: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.address = address;
  }
}
