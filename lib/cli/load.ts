import { splitCommandLine } from '../server/protocol/commandLine.ts';
import { integerFlag, parseCommandArgs, readSource, UsageError } from './args.ts';

export const HELP = `Usage: rxgears load <file|-> [--redis URL | --port P] [--host H]

Replays a redis-cli command file (one command a line, quoted as redis-cli quotes, # comments) into a Redis
or rxgears server, pipelined, and prints how many replies came back. Error replies are printed on stderr with
their line number, and make the exit code 1.

  --redis URL   the server (redis://[user:pass@]host:port[/db], rediss:// for TLS)
  --port P      an rxgears or Redis server on --host (default 127.0.0.1), port P (default 6380)
  --host H      with --port

To load a Redis Cluster, load it through "rxgears serve --redis <cluster URL>", which routes each key.
`;

interface FileCommand {
  line: number;
  args: string[];
}

function parseFile(text: string, file: string): FileCommand[] {
  const commands: FileCommand[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    try {
      commands.push({ line: index + 1, args: splitCommandLine(line) });
    } catch (error) {
      throw new UsageError(`${file}:${index + 1}: ${(error as Error).message}`);
    }
  });
  return commands;
}

export async function run(args: string[]): Promise<void> {
  // RXGEARS_LOAD_URL, not RXGEARS_REDIS_URL: that one is where serve keeps the data, not what load writes to.
  const { values, positionals, source } = parseCommandArgs('load', args, {
    redis: { type: 'string', group: 'target', env: 'RXGEARS_LOAD_URL' },
    port: { type: 'string', group: 'target' },
    host: { type: 'string', group: 'target' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const [file, extra] = positionals;
  if (file === undefined) throw new UsageError('load: which file? (rxgears load <file|->, see --help)');
  if (extra !== undefined) throw new UsageError(`load: unexpected argument '${extra}'`);
  if (values.redis !== undefined && (values.port !== undefined || values.host !== undefined)) {
    throw new UsageError(`load: give either ${source('redis')} or ${source('host')}/${source('port')}`);
  }
  const port = integerFlag(source('port'), values.port, 1, 65535) ?? 6380;
  const url = values.redis ?? `redis://${values.host ?? '127.0.0.1'}:${port}`;
  const commands = parseFile(await readSource(file), file);

  const { RespClient } = await import('../server/protocol/client.ts');
  const { ErrorReply } = await import('../server/protocol/replies.ts');
  let client: Awaited<ReturnType<typeof RespClient.connect>>;
  try {
    client = await RespClient.connect(url);
  } catch (error) {
    throw new UsageError(`load: cannot connect to ${url.replace(/\/\/[^@/]*@/, '//')}: ${(error as Error).message}`);
  }
  try {
    const replies = [];
    for (const command of commands) {
      replies.push(client.send(command.args));
      if (client.congested) await client.drain();
    }
    let errors = 0;
    for (const [i, reply] of (await Promise.all(replies)).entries()) {
      if (reply instanceof ErrorReply) {
        errors++;
        process.stderr.write(`${file}:${commands[i]!.line}: ${reply.message}\n`);
      }
    }
    process.stdout.write(`${replies.length} replies, ${errors} errors\n`);
    if (errors > 0) process.exitCode = 1;
  } finally {
    client.close();
  }
}
