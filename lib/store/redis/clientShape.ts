import type { Cluster, Redis } from 'ioredis';
import { GearsError } from '../../errors.ts';

/**
 * Which ioredis client a value is, by its shape rather than `instanceof`: a client made by another copy of
 * ioredis (the application's ioredis 6 beside a nested 5, a bundler's duplicate) fails `instanceof` but is
 * the user's connection all the same, and must be used, never mistaken for connection options. ioredis sets
 * `isCluster` on both classes (5.x and 6.x); the methods checked are the ones rxgears calls.
 */
export function clientKind(value: unknown): 'redis' | 'cluster' | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const client = value as Record<string, unknown>;
  const common =
    typeof client['call'] === 'function' &&
    typeof client['on'] === 'function' &&
    typeof client['sendCommand'] === 'function' &&
    typeof client['options'] === 'object' &&
    client['options'] !== null;
  if (!common) return undefined;
  if (client['isCluster'] === true && typeof client['nodes'] === 'function') return 'cluster';
  if (client['isCluster'] === false && typeof client['duplicate'] === 'function') return 'redis';
  return undefined;
}

/** An ioredis standalone client (`new Redis(…)`), from any copy of ioredis 5 or 6. */
export function isRedisClient(value: unknown): value is Redis {
  return clientKind(value) === 'redis';
}

/** An ioredis `Cluster`, from any copy of ioredis 5 or 6. */
export function isClusterClient(value: unknown): value is Cluster {
  return clientKind(value) === 'cluster';
}

/** A short description of what was passed where a client was expected, for the error message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value !== 'object') return `${typeof value} ${JSON.stringify(value) ?? String(value)}`;
  const name = (value as object).constructor?.name;
  const keys = Object.keys(value).slice(0, 4);
  const shown = keys.length > 0 ? `{ ${keys.join(', ')}${Object.keys(value).length > 4 ? ', …' : ''} }` : '{}';
  return name && name !== 'Object' ? `a ${name} ${shown}` : `an object ${shown}`;
}

/**
 * Checks a URL before ioredis sees it: ioredis reads `http://x` or `localhost` as "some host, port 6379" and
 * retries for ever, so anything that is not `redis://` / `rediss://` with a usable host, port and db is one
 * clear `GearsError` here. Credentials are masked in the message.
 */
export function checkRedisUrl(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const db = parsed?.pathname.replace(/^\//, '') ?? '';
  const problem =
    parsed === undefined
      ? 'not a URL'
      : parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:'
        ? `scheme '${parsed.protocol.slice(0, -1)}' is not redis or rediss`
        : parsed.hostname === ''
          ? 'no host'
          : db !== '' && !/^\d+$/.test(db)
            ? `database '${db}' is not a number`
            : undefined;
  if (problem !== undefined) {
    const shown = parsed === undefined ? url : url.replace(/\/\/[^@/]*@/, '//***@');
    throw new GearsError(
      `'${shown}' is not a Redis URL (${problem}); expected redis://[user:password@]host[:port][/db] or rediss://…`,
    );
  }
}

/**
 * What `connect({ redis })` accepts: a Redis URL (checked by `checkRedisUrl`) or an ioredis client of either
 * kind. Anything else — connection options such as `{ host, port }` included — is a `GearsError` naming it.
 */
export function checkRedisTarget(value: unknown, where: string): void {
  if (typeof value === 'string') {
    try {
      checkRedisUrl(value);
    } catch (error) {
      throw new GearsError(`${where}: ${(error as Error).message}`);
    }
    return;
  }
  if (clientKind(value) === undefined) {
    throw new GearsError(
      `${where}: 'redis' must be a redis:// URL or an ioredis Redis or Cluster client, got ${describeValue(value)}` +
        (typeof value === 'object' && value !== null && 'host' in value
          ? ' (for connection options, pass new Redis({ host, port }) or a URL)'
          : ''),
    );
  }
}
