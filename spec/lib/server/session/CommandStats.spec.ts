import { describe, expect, it } from 'vitest';
import { exchange, splitReplies, useEmbeddedBesideRedis } from '../helpers.ts';

/** Errors of every kind, a refused and a failed call, a transaction with a failing command, unknown commands. */
const REQUESTS = [
  ['CONFIG', 'RESETSTAT'],
  ['SET', 'k', 'v'],
  ['GET', 'k'],
  ['HGET', 'k', 'f'],
  ['GET'],
  ['NOSUCHCOMMAND', 'x'],
  ['CONFIG', 'NOSUCHSUB'],
  ['CONFIG', 'GET', 'maxmemory'],
  ['XGROUP', 'CREATE', 'nostream', 'g', '$'],
  ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'nostream', '>'],
  ['MULTI'],
  ['SET', 'a', '1'],
  ['INCR', 'k'],
  ['LPUSH', 'a'],
  ['EXEC'],
  ['MULTI'],
  ['INCR', 'k'],
  ['GET', 'a'],
  ['EXEC'],
];

/** An INFO section as sorted `name:value` lines, with the clock-dependent `usec` fields left out. */
function section(reply: string, name: string): string[] {
  const text = reply.slice(reply.indexOf('\r\n') + 2);
  const lines = text.split('\r\n');
  const start = lines.indexOf(`# ${name}`);
  const out: string[] = [];
  for (let i = start + 1; i < lines.length && lines[i] !== '' && !lines[i]!.startsWith('#'); i++) {
    out.push(lines[i]!.replace(/,usec=[^,]*,usec_per_call=[^,]*/, ''));
  }
  return out.sort();
}

async function statsAfterRequests(port: number): Promise<{ errors: string[]; commands: string[]; total: string[] }> {
  await exchange(port, REQUESTS);
  const [errors, commands, stats] = splitReplies(
    await exchange(port, [['INFO', 'errorstats'], ['INFO', 'commandstats'], ['INFO']]),
  );
  const total = section(stats!, 'Stats').filter((l) => l.startsWith('total_error_replies:'));
  return { errors: section(errors!, 'Errorstats'), commands: section(commands!, 'Commandstats'), total };
}

describe('INFO commandstats, errorstats and total_error_replies', () => {
  const ports = useEmbeddedBesideRedis(); // CONFIG RESETSTAT and notify-keyspace-events are server-wide

  it('count calls, refused and failed calls and each error kind as redis-server 7.0 does', async () => {
    const expected = await statsAfterRequests(ports.redis);
    const actual = await statsAfterRequests(ports.server);
    expect(expected.errors).toContain('errorstat_NOGROUP:count=1');
    expect(actual).toEqual(expected);
  });
});
