import { createHash, timingSafeEqual } from 'node:crypto';
import type { ClientState, ServerContext } from './context.ts';
import {
  ErrorReply,
  MapReply,
  OK,
  SimpleString,
  VerbatimString,
  type Protocol,
  type Reply,
} from '../protocol/replies.ts';
import { wrongArity } from '../rg/rgCommands.ts';
import { clusterCommand } from './clusterCommand.ts';
import { commandCommand } from './commandCommand.ts';
import { info, VERSION } from './info.ts';

/** A reply after which the connection closes (QUIT). */
export class CloseAfter {
  constructor(readonly reply: Reply) {}
}

interface Builtin {
  arity: number;
  /** Answered before AUTH when the server has a password. */
  beforeAuth?: boolean;
  run(server: ServerContext, client: ClientState, args: string[]): Reply | CloseAfter | Promise<Reply>;
}

const WRONGPASS = new ErrorReply('WRONGPASS invalid username-password pair or user is disabled.');

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Checks a password in constant time (hashes first, so lengths do not leak either). */
function passwordMatches(server: ServerContext, username: string, password: string): boolean {
  if (server.requirePass === undefined) return username === 'default'; // no password: like Redis' nopass default user
  if (username !== server.requireUser) return false;
  return timingSafeEqual(digest(password), digest(server.requirePass));
}

function helloReply(server: ServerContext, client: ClientState): Reply {
  return new MapReply([
    ['server', 'rxgears'],
    ['version', VERSION],
    ['proto', client.protocol],
    ['id', client.id],
    ['mode', 'standalone'],
    ['role', 'master'],
    ['modules', []],
  ]);
}

/** What a HELLO would do: the protocol, name and authentication it sets, or its error. */
function helloOutcome(
  server: ServerContext,
  current: Protocol,
  authenticated: boolean,
  args: string[],
): ErrorReply | { protocol: Protocol; name: string | undefined } {
  let protocol = current;
  if (args.length > 0) {
    const version = /^-?\d+$/.test(args[0]!) ? Number(args[0]) : NaN;
    if (!Number.isSafeInteger(version)) return new ErrorReply('ERR Protocol version is not an integer or out of range');
    if (version !== 2 && version !== 3) return new ErrorReply('NOPROTO unsupported protocol version');
    protocol = version;
  }
  let name: string | undefined;
  for (let i = 1; i < args.length; i++) {
    const option = args[i]!.toUpperCase();
    if (option === 'AUTH' && i + 2 < args.length) {
      if (!passwordMatches(server, args[i + 1]!, args[i + 2]!)) return WRONGPASS;
      authenticated = true;
      i += 2;
    } else if (option === 'SETNAME' && i + 1 < args.length) {
      name = args[++i]!;
    } else return new ErrorReply(`ERR Syntax error in HELLO option '${args[i]}'`);
  }
  if (!authenticated) {
    return new ErrorReply(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  }
  return { protocol, name };
}

function hello(server: ServerContext, client: ClientState, args: string[]): Reply {
  const outcome = helloOutcome(server, client.protocol, client.authenticated, args);
  if (outcome instanceof ErrorReply) return outcome;
  client.authenticated = true;
  client.protocol = outcome.protocol;
  if (outcome.name !== undefined) client.name = outcome.name;
  return helloReply(server, client);
}

/**
 * The protocol a client speaking `current` speaks after `HELLO …args` (the same one when the HELLO fails), for
 * a HELLO queued in a transaction: it takes effect at EXEC, and the replies after it are in that protocol.
 */
export function protocolAfterHello(
  server: ServerContext,
  client: ClientState,
  current: Protocol,
  args: string[],
): Protocol {
  const outcome = helloOutcome(server, current, client.authenticated, args);
  return outcome instanceof ErrorReply ? current : outcome.protocol;
}

function auth(server: ServerContext, client: ClientState, args: string[]): Reply {
  if (args.length > 2) return new ErrorReply('ERR syntax error');
  if (args.length === 1 && server.requirePass === undefined) {
    return new ErrorReply(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
  }
  const [username, password] = args.length === 2 ? [args[0]!, args[1]!] : [server.requireUser, args[0]!];
  if (!passwordMatches(server, username, password)) return WRONGPASS;
  client.authenticated = true;
  return OK;
}

function clientInfo(client: ClientState): string {
  return `id=${client.id} addr=${client.address} name=${client.name ?? ''} resp=${client.protocol}`;
}

/**
 * `CLIENT REPLY ON|OFF|SKIP`: the connection drops the replies (Connection.ts); OFF's and SKIP's own `OK` are
 * dropped too, so only ON answers, as in Redis. SKIP while replies are off changes nothing.
 */
function clientReply(client: ClientState, args: string[]): Reply {
  if (args.length !== 2) return wrongArity('client|reply');
  switch (args[1]!.toUpperCase()) {
    case 'ON':
      client.replies = 'on';
      client.skipReply = false;
      return OK;
    case 'OFF':
      client.replies = 'off';
      return OK;
    case 'SKIP':
      if (client.replies !== 'off') client.replies = 'skip';
      return OK;
    default:
      return new ErrorReply('ERR syntax error');
  }
}

function clientCommand(server: ServerContext, client: ClientState, args: string[]): Reply {
  const sub = args[0]!.toUpperCase();
  switch (sub) {
    case 'SETNAME':
      if (args.length !== 2) return wrongArity('client|setname');
      if (/[^!-~]/.test(args[1]!)) {
        return new ErrorReply('ERR Client names cannot contain spaces, newlines or special characters.');
      }
      client.name = args[1] === '' ? null : args[1]!;
      return OK;
    case 'GETNAME':
      return client.name;
    case 'ID':
      return client.id;
    case 'INFO':
      return new VerbatimString(`${clientInfo(client)}\n`);
    case 'LIST':
      return new VerbatimString([...server.clients()].map((c) => `${clientInfo(c)}\n`).join(''));
    case 'SETINFO':
      return OK;
    case 'REPLY':
      return clientReply(client, args);
    case 'UNBLOCK': {
      if (args.length < 2 || args.length > 3) return wrongArity('client|unblock');
      if (!/^-?[0-9]+$/.test(args[1]!)) return new ErrorReply('ERR value is not an integer or out of range');
      const mode = (args[2] ?? 'TIMEOUT').toUpperCase();
      if (mode !== 'TIMEOUT' && mode !== 'ERROR') {
        return new ErrorReply('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
      }
      const target = [...server.clients()].find((c) => String(c.id) === args[1]);
      return target?.unblock?.(mode === 'ERROR') === true ? 1 : 0;
    }
    default:
      return new ErrorReply(`ERR unknown subcommand '${args[0]}'. Try CLIENT HELP.`);
  }
}

/**
 * `SELECT`: database 0 only — the database the engine and its registrations work on (the `--redis` URL's, or the
 * embedded store's one). On several shards Redis Cluster's own refusal, otherwise Redis' answer for a database
 * that does not exist. Inside MULTI it is queued and answered at EXEC, in its place (TransactionLocals.ts).
 */
export function select(cluster: boolean, db: string): Reply {
  if (!/^-?\d+$/.test(db)) return new ErrorReply('ERR value is not an integer or out of range');
  if (Number(db) === 0) return OK;
  return cluster ? SELECT_IN_CLUSTER : new ErrorReply('ERR DB index is out of range');
}

const SELECT_IN_CLUSTER = new ErrorReply('ERR SELECT is not allowed in cluster mode');

/** Commands the server answers itself; everything else is an RG command or goes to the store. */
const BUILTINS: Record<string, Builtin> = {
  PING: {
    arity: -1,
    beforeAuth: true,
    // Redis checks PING's arity in the command itself: one argument at most.
    run: (_s, _c, args) =>
      args.length === 0 ? new SimpleString('PONG') : args.length === 1 ? args[0]! : wrongArity('ping'),
  },
  ECHO: { arity: 2, run: (_s, _c, args) => args[0]! },
  HELLO: { arity: -1, beforeAuth: true, run: hello },
  AUTH: { arity: -2, beforeAuth: true, run: auth },
  QUIT: { arity: -1, beforeAuth: true, run: () => new CloseAfter(OK) },
  SELECT: { arity: 2, run: (server, _c, [db]) => select(server.gears.shards.length > 1, db!) },
  // Enough for redis-cli and client libraries that probe COMMAND at startup (no command metadata), and GETKEYS.
  COMMAND: { arity: -1, run: (_s, _c, args) => commandCommand(args) },
  CLIENT: { arity: -2, run: clientCommand },
  INFO: { arity: -1, run: (server, _c, args) => info(server, args) },
  CLUSTER: { arity: -2, run: clusterCommand },
};

/** A built-in command by (upper-case) name; undefined when `name` is not one. */
export function builtin(name: string): Builtin | undefined {
  return Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined;
}
