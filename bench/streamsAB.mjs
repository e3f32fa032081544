/* global process, console, performance, setImmediate */
/**
 * Workload 5 A/B (bench/README.md "Round 7 (issue 16): workload 5"): builds of rxgears and the hand-written
 * XREADGROUP + XACK loop side by side on one standalone Redis, each drain in a child process of its own, the
 * sides alternating round by round. A child loads two fresh streams of N messages (untimed), drains the first
 * to warm up and the second timed, and prints its wall time and its own CPU time; Redis' XREADGROUP and XACK cost
 * per call (INFO commandstats) is printed at the end.
 *
 *   node bench/streamsAB.mjs CHECKOUT|loop [CHECKOUT|loop …]   (each CHECKOUT with dist/ built: npm run build)
 *
 * Env: ROUNDS (3), N (200000 messages), BATCH (500).
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const N = Number(process.env.N ?? 200_000);
const BATCH = Number(process.env.BATCH ?? 500);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The child: `node bench/streamsAB.mjs --child SIDE REDIS_URL INDEX`. */
async function child(side, url, index) {
  const redis = new Redis(url);
  const keys = [`ab:${index}:warm`, `ab:${index}`];
  for (const key of keys) {
    for (let from = 0; from < N; from += 1000) {
      const pipeline = redis.pipeline();
      for (let i = from; i < Math.min(from + 1000, N); i++) pipeline.xadd(key, '*', 'n', i, 'page', `/p${i % 10}`);
      await pipeline.exec();
    }
  }
  const gears =
    side === 'loop' ? undefined : await (await import(pathToFileURL(`${side}/dist/lib/index.js`).href)).connect(url);
  const drain = async (key) => {
    const tally = { count: 0, sum: 0 };
    if (gears === undefined) {
      await redis.xgroup('CREATE', key, 'g', '0');
      let toAck = [];
      for (;;) {
        const pipeline = redis.pipeline();
        if (toAck.length > 0) pipeline.xack(key, 'g', ...toAck);
        pipeline.xreadgroup('GROUP', 'g', 'c', 'COUNT', BATCH, 'STREAMS', key, '>');
        const replies = await pipeline.exec();
        for (const [error] of replies) if (error) throw error;
        const entries = replies[replies.length - 1][1]?.[0]?.[1] ?? [];
        if (entries.length === 0) return tally;
        toAck = [];
        for (const [id, fields] of entries) {
          for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'n') tally.sum += Number(fields[i + 1]);
          tally.count++;
          toAck.push(id);
        }
      }
    }
    const name = key.replace(/\W/g, '');
    let handledAll;
    const handled = new Promise((resolve) => (handledAll = resolve));
    const id = await gears
      .GB('StreamReader')
      .forEach((r) => {
        tally.sum += Number(r.value.n);
        if (++tally.count === N) handledAll();
      })
      .register({ prefix: key, batch: BATCH, name, trimStream: false });
    await handled;
    while ((await redis.xpending(key, `rxgears:${name}`))[0] > 0) await new Promise((r) => setImmediate(r));
    gears.unregister(id);
    return tally;
  };
  await drain(keys[0]);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const tally = await drain(keys[1]);
  const wallMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  if (tally.count !== N || tally.sum !== (N * (N - 1)) / 2)
    throw new Error(`${side}: wrong tally ${JSON.stringify(tally)}`);
  await redis.del(...keys);
  redis.disconnect();
  await gears?.close();
  console.log(JSON.stringify({ wallMs, cpuMs: (user + system) / 1000 }));
}

function runChild(side, url, index) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [process.argv[1], '--child', side, url, String(index)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`${side}: exit ${code}`)),
    );
  });
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], process.argv[5]);
  process.exit(0);
}
const sides = process.argv.slice(2);
if (sides.length === 0) throw new Error('usage: node bench/streamsAB.mjs CHECKOUT|loop [CHECKOUT|loop …]');
const testing = await import(
  pathToFileURL(`${sides.find((s) => s !== 'loop') ?? process.cwd()}/dist/lib/testing/index.js`).href
);
const server = await testing.startRedis();
const results = new Map(sides.map((s) => [s, []]));
let index = 0;
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const side of sides) {
      const r = await runChild(side, server.url, index++);
      results.get(side).push(r);
      console.log(`round ${round} ${side}: ${r.wallMs.toFixed(0)} ms, client CPU ${r.cpuMs.toFixed(0)} ms`);
    }
  }
  const admin = new Redis(server.url);
  const stats = await admin.info('commandstats');
  admin.disconnect();
  for (const m of stats.matchAll(/cmdstat_(xreadgroup|xack):calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/g))
    console.log(`Redis ${m[1]}: ${m[2]} calls, ${m[3]} µs per call`);
  for (const [side, rs] of results) {
    const wall = median(rs.map((r) => r.wallMs));
    const cpu = median(rs.map((r) => r.cpuMs));
    console.log(
      `${side}: median ${wall.toFixed(0)} ms (${((N / wall) * 1000).toFixed(0)} messages/s), client CPU ${cpu.toFixed(0)} ms`,
    );
  }
} finally {
  await server.stop();
}
