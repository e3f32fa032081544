import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Shard } from '../../lib/index.ts';

const run = promisify(execFile);

/** A node as these specs address it from outside the engine. */
export interface NodeAddress {
  host: string;
  port: number;
  password?: string | undefined;
}

/** `host:port` of a `redis://…` URL. */
export function addressOf(url: string): NodeAddress {
  const { hostname, port, password } = new URL(url);
  return { host: hostname, port: Number(port), password: password === '' ? undefined : decodeURIComponent(password) };
}

/**
 * One command through `redis-cli` (not cluster mode: it asks exactly that node, a key it does not own answers
 * `MOVED …`), the reply as redis-cli prints it without a TTY, trimmed. Error replies come back as text too.
 */
export async function redisCli(node: NodeAddress, ...args: string[]): Promise<string> {
  const auth = node.password === undefined ? [] : ['-a', node.password, '--no-auth-warning'];
  const { stdout } = await run('redis-cli', ['-h', node.host, '-p', String(node.port), ...auth, ...args], {
    timeout: 10_000,
  });
  return stdout.trim();
}

/** Whether a shard's slot ranges contain `slot`. */
export function ownsSlot(shard: Pick<Shard, 'slots'>, slot: number): boolean {
  return shard.slots.some(([start, end]) => slot >= start && slot <= end);
}

/** Sorts copies, for comparisons as multisets. */
export function sorted<T>(values: readonly T[], compare?: (a: T, b: T) => number): T[] {
  return [...values].sort(compare);
}

export const byKey = (a: { key: string }, b: { key: string }): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Collects unhandled rejections for a spec file: install in `beforeAll`, and `check()` in `afterAll` fails the
 * file if any happened (an engine must never leave a rejected promise unobserved, even when a node dies).
 */
export function unhandledRejections(): { install(): void; check(): unknown[] } {
  const seen: unknown[] = [];
  const listener = (reason: unknown): void => void seen.push(reason);
  return {
    install: () => void process.on('unhandledRejection', listener),
    check: () => {
      process.off('unhandledRejection', listener);
      return seen;
    },
  };
}
