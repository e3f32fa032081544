/* global process, console, performance */
/**
 * Workload 5 A/B (bench/README.md "Round 7 (issue 16): workload 5"): builds of rxgears and the hand-written
 * XREADGROUP + XACK loop (bench/streams.ts' drains) side by side on one standalone Redis, each drain in a child
 * process of its own, the sides alternating round by round. A child loads two fresh streams of N messages
 * (untimed), drains the first to warm up and the second timed, and prints its wall time and its own CPU time;
 * Redis' XREADGROUP and XACK cost per call (INFO commandstats) is printed at the end.
 *
 *   node bench/streamsAB.mjs CHECKOUT|loop [CHECKOUT|loop …]   (each CHECKOUT, and this one, with dist/ built)
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

/**
 * The child: `node --import tsx bench/streamsAB.mjs --child SIDE REDIS_URL INDEX`, with workload 5's own loading
 * and drains (bench/streams.ts), rxgears from SIDE's dist/.
 */
async function child(side, url, index) {
  const { loadStream, baselineDrain, rxgearsDrain } = await import('./streams.ts');
  const redis = new Redis(url);
  const keys = [`ab:${index}:warm`, `ab:${index}`];
  for (const key of keys) await loadStream(redis, key, N);
  const gears =
    side === 'loop' ? undefined : await (await import(pathToFileURL(`${side}/dist/lib/index.js`).href)).connect(url);
  const drain = (key) =>
    gears === undefined
      ? baselineDrain(redis, key, 'g', BATCH)
      : rxgearsDrain(gears, redis, key, N, key.replace(/\W/g, ''), BATCH);
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
    const proc = spawn(process.execPath, ['--import', 'tsx', process.argv[1], '--child', side, url, String(index)], {
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
