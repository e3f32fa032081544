/* global process, console, performance, setTimeout */
/**
 * Workload 11 A/B (bench/README.md "Workload 11 after round 5"): builds of rxgears side by side on one 3-master
 * Cluster, each with an app of 2 `rxgears worker` processes and one of 1, runs alternating. Per run it prints
 * what a loaded machine does not distort: each worker's CPU (/proc), the driver's, Redis' (INFO cpu) and the
 * commands it served (INFO commandstats, the idle apps' included), the records each worker ran (from its
 * --verbose lines and the keys' slots), the lease owners, and when each part started and ended after the
 * driver's call; then every worker's CPU while idle.
 *
 *   node bench/workersAB.mjs CHECKOUT [CHECKOUT …]   (each with dist/ built: npm run build; git worktree for old commits)
 *
 * Env: ROUNDS (4; round 0 warms up), KEYS (6000), SIDES (2,1 workers), SMALL (0,10: runs over that many keys,
 * the fixed cost of a run), IDLE (ms, 10000), CMDS=1 (commands per run by name), PROF=DIR (--cpu-prof per
 * worker), OUT (JSON of every run, /tmp/w11probe.json).
 */
import { spawn } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const roots = process.argv.slice(2);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const KEYS = Number(process.env.KEYS ?? 6000);
const SIDES = (process.env.SIDES ?? '2,1').split(',').map(Number);
const SMALL = (process.env.SMALL ?? '0,10').split(',').filter(Boolean).map(Number);
const TPM = 2;
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const cpuMs = (pid) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
};
const imp = (root, rel) => import(pathToFileURL(`${root}/dist/lib/${rel}`).href);

const builds = [];
for (const root of roots) {
  const lib = await imp(root, 'index.js');
  const sandboxRel = existsSync(`${root}/dist/lib/server/rg/sandbox.js`) ? 'server/rg/sandbox.js' : 'server/sandbox.js';
  const { runScript } = await imp(root, sandboxRel);
  builds.push({ root, name: root.split('/').pop(), connect: lib.connect, runScript });
}
const testing = await imp(roots[0], 'testing/index.js');
const { hashSlot } = await imp(roots[0], 'cluster/slots.js');

const cluster = await testing.startRedisCluster();
const url = cluster.urls[0];
const local = await builds[0].connect(url);
const Redis = (await import('ioredis')).default;
const nodes = cluster.urls.map((u) => new Redis(u));

async function redisStats() {
  let cpu = 0;
  let calls = 0;
  const per = {};
  for (const n of nodes) {
    const info = await n.info('cpu');
    for (const m of info.matchAll(/used_cpu_(sys|user):([\d.]+)/g)) cpu += Number(m[2]) * 1000;
    const cs = await n.info('commandstats');
    for (const m of cs.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) {
      calls += Number(m[2]);
      per[m[1]] = (per[m[1]] ?? 0) + Number(m[2]);
    }
  }
  return { cpu, calls, per };
}

function startWorker(build, app, id) {
  const args = [
    `${build.root}/bin/rxgears.js`,
    'worker',
    '--redis',
    url,
    '--app',
    app,
    '--id',
    id,
    '--lease',
    '10000',
    '--allow-require',
    '--tasks-per-master',
    String(TPM),
    '--verbose',
  ];
  if (process.env.PROF) args.unshift('--cpu-prof', `--cpu-prof-dir=${process.env.PROF}/${build.name}`);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.lines = [];
  let err = '';
  child.stderr.on('data', (d) => {
    err += d.toString();
    const parts = err.split('\n');
    err = parts.pop();
    for (const l of parts) child.lines.push({ t: performance.now(), l });
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
      if (out.includes('ready')) resolve(child);
    });
    child.once('exit', (c) => reject(new Error(`worker exited ${c}`)));
  });
}

async function leaseOwners(app) {
  const tasks = Object.keys(taskSlots);
  const vals = await local.execute('MGET', ...tasks.map((t) => `rxg:{rxg:${app}}:lease:${t}`));
  return Object.fromEntries(tasks.map((t, i) => [t, vals[i]]));
}

let taskSlots = {};
const apps = [];
for (const build of builds)
  for (const workers of SIDES) {
    const app = `p-${build.name.slice(-5)}-${workers}-${randomBytes(2).toString('hex')}`;
    const driver = await build.connect(url, { app, tasksPerMaster: TPM });
    const children = [];
    for (let i = 0; i < workers; i++) children.push(await startWorker(build, app, `w${i}`));
    apps.push({ build, workers, app, driver, children });
  }
// task ids from a worker's plan
{
  const { splitShards } = await imp(roots[0], 'cluster/pieces.js');
  const { shardTasks } = await imp(roots[0], 'cluster/leases/tick.js');
  const pieces = splitShards(local.shards, TPM);
  shardTasks(pieces).forEach((t, i) => (taskSlots[t] = pieces[i].slots));
}
// The bench's condition: every task held, by min(W, T) owners.
for (const a of apps)
  for (;;) {
    const o = Object.values(await leaseOwners(a.app));
    if (o.every((v) => v) && new Set(o.map((v) => v.split(':')[0])).size === a.workers) break;
    await pause(50);
  }
const t0 = performance.now();
console.log(`shared at +0; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);

const prefix = `cpu-${randomBytes(3).toString('hex')}`;
const perTask = Object.fromEntries(Object.keys(taskSlots).map((t) => [t, 0]));
const taskOfSlot = new Int16Array(16384).fill(-1);
Object.values(taskSlots).forEach((ranges, i) => ranges.forEach(([s, e]) => taskOfSlot.fill(i, s, e + 1)));
const taskIds = Object.keys(taskSlots);
for (let i = 0; i < KEYS; i += 500) {
  const w = [];
  for (let j = i; j < Math.min(KEYS, i + 500); j++) {
    const k = `${prefix}:${j}`;
    perTask[taskIds[taskOfSlot[hashSlot(k)]]]++;
    w.push(local.execute('SET', k, `v${j}`));
  }
  await Promise.all(w);
}
for (const n of SMALL) for (let j = 0; j < n; j++) await local.execute('SET', `${prefix}s${n}:${j}`, `v${j}`);
const gear = (pattern) => `const { pbkdf2Sync } = require('node:crypto');
  GB().map((r) => pbkdf2Sync(r.value, 'rxgears', 1500, 32, 'sha256')[0]).count().run('${pattern}', { count: 100 })`;

async function runOn(a, pattern, expect) {
  const before = a.children.map((c) => cpuMs(c.pid));
  const marks = a.children.map((c) => c.lines.length);
  const r0 = await redisStats();
  const d0 = process.cpuUsage();
  const w0 = performance.now();
  const owners = await leaseOwners(a.app);
  const outcome = await a.build.runScript(a.driver, gear(pattern), { allowRequire: true });
  const wall = performance.now() - w0;
  const d = process.cpuUsage(d0);
  const r1 = await redisStats();
  const cpu = a.children.map((c, i) => cpuMs(c.pid) - before[i]);
  const count = Number(outcome.result?.results?.[0] ?? -1);
  if (outcome.result?.errors?.length) console.log('ERRORS', outcome.result.errors);
  if (count !== expect) console.log(`COUNT ${count} != ${expect}`);
  // records per worker from the "runs" lines
  const recs = a.children.map((c, i) => {
    const lines = c.lines.slice(marks[i]).map((x) => x.l);
    const runs = lines.find((l) => / runs /.test(l));
    if (!runs) return 0;
    const tasks = runs.split(' runs ')[1].split(', ');
    return expect === KEYS ? tasks.reduce((n, t) => n + perTask[t], 0) : tasks.length;
  });
  const times = a.children.map((c, i) => {
    const ls = c.lines.slice(marks[i]);
    const st = ls.find((x) => / runs /.test(x.l));
    const id = st && /run (\S+): runs /.exec(st.l)?.[1];
    const en = id && ls.find((x) => x.l.includes(`run ${id}: ended`));
    return st && en ? `${(st.t - w0).toFixed(0)}-${(en.t - w0).toFixed(0)}` : '-';
  });
  const other = a.children.map((c, i) =>
    c.lines
      .slice(marks[i])
      .map((x) => x.l)
      .filter((l) => !/ runs |ended/.test(l)),
  );
  const cmds = {};
  for (const [k, v] of Object.entries(r1.per)) if (v - (r0.per[k] ?? 0) > 0) cmds[k] = v - (r0.per[k] ?? 0);
  const split = Object.values(owners)
    .map((v) => v?.split(':')[0])
    .join('');
  return {
    wall,
    cpu,
    driver: (d.user + d.system) / 1000,
    redis: r1.cpu - r0.cpu,
    calls: r1.calls - r0.calls,
    cmds,
    recs,
    split,
    other,
    times,
  };
}

const results = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const workers of SIDES)
    for (const a of apps.filter((x) => x.workers === workers)) {
      for (const [pattern, expect, label] of [
        [`${prefix}:*`, KEYS, 'map'],
        ...SMALL.map((n) => [`${prefix}s${n}:*`, n, `n${n}`]),
      ]) {
        const r = await runOn(a, pattern, expect);
        const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
        results.push({ round, build: a.build.name, workers, label, ...r, load });
        console.log(
          `r${round} ${a.build.name.padEnd(14)} ${workers}w ${label.padEnd(4)} wall ${r.wall.toFixed(0).padStart(5)} ` +
            `wcpu ${r.cpu.map((x) => x.toFixed(0)).join('+')} drv ${r.driver.toFixed(0)} redis ${r.redis.toFixed(0)} ` +
            `calls ${r.calls} recs ${r.recs.join(':')} at ${r.times.join(',')} leases ${r.split} load ${load} t+${((performance.now() - t0) / 1000).toFixed(0)}s` +
            (r.other.some((o) => o.length) ? ` LOG ${JSON.stringify(r.other)}` : ''),
        );
        if (process.env.CMDS) console.log('   ', JSON.stringify(r.cmds));
      }
    }
}
// idle: every worker's CPU, Redis CPU and calls over IDLE ms with nothing running
{
  const idleMs = Number(process.env.IDLE ?? 10000);
  const all = apps.flatMap((a) => a.children.map((c) => ({ a, c, before: cpuMs(c.pid) })));
  const r0 = await redisStats();
  await pause(idleMs);
  const r1 = await redisStats();
  for (const a of apps)
    console.log(
      `idle ${a.build.name} ${a.workers}w: worker CPU ms/s ${all
        .filter((x) => x.a === a)
        .map((x) => (((cpuMs(x.c.pid) - x.before) * 1000) / idleMs).toFixed(1))
        .join('+')}`,
    );
  const per = {};
  for (const [k, v] of Object.entries(r1.per)) if (v - (r0.per[k] ?? 0) > 0) per[k] = v - (r0.per[k] ?? 0);
  console.log('idle commands', JSON.stringify(per));
  console.log(
    `idle redis CPU ms/s ${(((r1.cpu - r0.cpu) * 1000) / idleMs).toFixed(1)}, calls/s ${(((r1.calls - r0.calls) * 1000) / idleMs).toFixed(1)}`,
  );
}
const { writeFileSync } = await import('node:fs');
writeFileSync(process.env.OUT ?? '/tmp/w11probe.json', JSON.stringify(results));
for (const a of apps) {
  for (const c of a.children) c.kill('SIGTERM');
  await Promise.all(a.children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r)))));
  await a.driver.close();
}
await local.close();
for (const n of nodes) n.disconnect();
await cluster.stop();
