import { integerFlag, parseCommandArgs, untilSignal, UsageError } from './args.ts';
import { httpFlag } from './httpFlag.ts';
import { logFormat } from './logFormat.ts';

export const HELP = `Usage: rxgears serve [--redis URL | --shards N] [--port 6380] [--bind 127.0.0.1] [--requirepass P] [--allow-require] [--deployments-key K] [--http [ADDR:]PORT]
       [--protected-mode yes|no] [--shutdown-timeout S] [--app NAME [--tasks-per-master K]]
       [--log-format text|json]

A RESP server (RESP2, RESP3 after HELLO 3): RG.JSEXECUTE and the other RG.* commands, every other command
proxied to the data. Talk to it with redis-cli -p <port> or any Redis client.

  --redis URL       the data is in this Redis or Redis Cluster (redis://[user:pass@]host:port)
  --shards N        the data is in the embedded store, N shards (default 1)
  --port P          port to listen on (default 6380; 0 picks a free one, printed at start)
  --bind ADDR       address to listen on (default 127.0.0.1: loopback only; any other address needs
                    --requirepass, or --protected-mode no)
  --protected-mode yes|no  no: listen beyond loopback without a password (anyone reaching it can run code)
  --shutdown-timeout S  on SIGTERM / SIGINT, seconds to let commands in progress finish (default 10)
  --requirepass P   clients must AUTH with P first (or set RXGEARS_REQUIREPASS, kept out of the process list)
  --allow-require   give scripts require, process and import() (trusted scripts only)
  --deployments-key K  with --redis: the hash keeping scripts that registered gears (default rxgears:deployments);
                    they run again when a server starts on that Redis. The embedded store keeps nothing.
  --app NAME        with --redis: run scripts (RG.JSEXECUTE) on the worker processes of this app
                    (rxgears worker --app NAME) instead of in this process
  --tasks-per-master K  with --app: the tasks per master the app's workers use (default 1)
  --http [ADDR:]PORT  also serve /metrics (Prometheus), /healthz, /readyz and the dashboard over HTTP, on
                    127.0.0.1 unless ADDR says otherwise (any other address needs --requirepass)
  --log-format F    the engine's log on stderr: text (default) or json (pino's line format)

Each option can come from RXGEARS_<OPTION> instead (RXGEARS_REDIS_URL for --redis, RXGEARS_PORT, …);
a flag wins over the variable.

Prints "rxgears listening on <addr>:<port>"; on SIGINT / SIGTERM stops accepting, lets commands in progress
finish (up to --shutdown-timeout), answers the rest with an error, and exits 0.
`;

export async function run(args: string[]): Promise<void> {
  const { values, positionals, source } = parseCommandArgs('serve', args, {
    redis: { type: 'string', group: 'data' },
    shards: { type: 'string', group: 'data' },
    port: { type: 'string' },
    bind: { type: 'string' },
    requirepass: { type: 'string' },
    'allow-require': { type: 'boolean' },
    'deployments-key': { type: 'string' },
    http: { type: 'string' },
    'protected-mode': { type: 'string' },
    'shutdown-timeout': { type: 'string' },
    app: { type: 'string' },
    'tasks-per-master': { type: 'string' },
    'log-format': { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length > 0) throw new UsageError(`serve: unexpected argument '${positionals[0]}'`);
  if (values.redis !== undefined && values.shards !== undefined) {
    throw new UsageError(
      `serve: ${source('redis')} and ${source('shards')} exclude each other (a Redis Cluster brings its own shards)`,
    );
  }
  if (values.app !== undefined && values.redis === undefined)
    throw new UsageError('serve: --app needs --redis (the workers meet in Redis)');
  if (values['tasks-per-master'] !== undefined && values.app === undefined)
    throw new UsageError("serve: --tasks-per-master needs --app (the tasks of the app's workers)");
  const tasksPerMaster = integerFlag(source('tasks-per-master'), values['tasks-per-master'], 1, 64);
  const shards = integerFlag(source('shards'), values.shards, 1, 16384);
  const port = integerFlag(source('port'), values.port, 0, 65535);
  const requirePass = values.requirepass;
  if (requirePass === '') throw new UsageError('serve: --requirepass needs a non-empty password');
  const logger = logFormat(values['log-format'], source('log-format'));
  const deploymentsKey = values['deployments-key'];
  if (deploymentsKey === '') throw new UsageError('serve: --deployments-key needs a key name');
  const http = httpFlag(values.http);
  const protectedMode = values['protected-mode']?.toLowerCase();
  if (protectedMode !== undefined && protectedMode !== 'yes' && protectedMode !== 'no') {
    throw new UsageError(`serve: ${source('protected-mode')} takes yes or no, got '${values['protected-mode']}'`);
  }
  const shutdownTimeout = integerFlag(source('shutdown-timeout'), values['shutdown-timeout'], 0, 86_400) ?? 10;

  const { serve } = await import('../server/Server.ts');
  const { describeError } = await import('../server/rg/sandbox.ts');
  const server = await serve({
    ...(values.redis !== undefined ? { redis: values.redis } : {}),
    ...(shards !== undefined ? { shards } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(values.bind !== undefined ? { host: values.bind } : {}),
    ...(requirePass !== undefined ? { requirePass } : {}),
    allowRequire: values['allow-require'] ?? false,
    ...(deploymentsKey !== undefined ? { deploymentsKey } : {}),
    ...(protectedMode !== undefined ? { protectedMode: protectedMode === 'yes' } : {}),
    ...(values.app !== undefined ? { app: values.app } : {}),
    ...(tasksPerMaster !== undefined ? { tasksPerMaster } : {}),
    ...(logger !== undefined ? { logger } : {}),
  });
  const { serveHttpBeside } = await import('../http/serveBeside.ts');
  const web = http && (await serveHttpBeside(server, { ...http, requirePass, redis: values.redis, deploymentsKey }));
  // A script's stray rejected Promise must not take the server down (Node's default is to exit).
  const onRejection = (error: unknown): void => {
    process.stderr.write(`rxgears: unhandled rejection in a script: ${describeError(error)}\n`);
  };
  process.on('unhandledRejection', onRejection);
  // Listening for signals before saying we are up: whoever reads the line may signal at once.
  const stopped = untilSignal();
  process.stdout.write(`rxgears listening on ${server.host}:${server.port}\n`);
  if (web) process.stdout.write(`rxgears dashboard on http://${web.host}:${web.port}/\n`);
  try {
    const signal = await stopped;
    process.stderr.write(
      `rxgears: ${signal} received: not accepting connections; letting commands in progress finish (up to ${shutdownTimeout} s)\n`,
    );
    await web?.close();
    const report = await server.shutdown(shutdownTimeout * 1000);
    process.stderr.write(
      `rxgears: stopped: ${report.inFlight - report.cutOff} of ${report.inFlight} command(s) in progress finished` +
        (report.cutOff > 0 ? `, ${report.cutOff} answered with an error after ${shutdownTimeout} s` : '') +
        '\n',
    );
  } finally {
    await server.close();
    process.off('unhandledRejection', onRejection);
  }
}
