import type { Gears } from '../../Gears.ts';
import { ErrorReply, OK, type Reply } from '../protocol/replies.ts';
import { errorReply, recordReply, runResultReply, valueReply } from './convert.ts';
import { clusterReply, executionReply, registrationReply } from './rgReplies.ts';
import { describeError } from './sandbox.ts';
import { DeploymentError, Deployments, type DeployRequest } from './Deployments.ts';

/** What an RG command sees: the engine, the server's script settings and its deployments. */
export interface RgContext {
  gears: Gears;
  allowRequire: boolean;
  /** The server's deployments; without them (the bare facade) RG.JSEXECUTE keeps deployments in memory. */
  deployments?: Deployments;
}

/** The context's deployments, or an in-memory table for this call (a context made without a server). */
function deploymentsIn(context: RgContext): Deployments {
  return context.deployments ?? new Deployments(context.gears, { key: false });
}

interface RgCommand {
  /** Redis' arity convention: the count including the command name; negative means "at least". */
  arity: number;
  run(context: RgContext, args: string[]): Promise<Reply>;
}

/**
 * Parses `RG.JSEXECUTE "<source>" [UNBLOCKING] [ID id] [DESCRIPTION d] [UPGRADE]`, with RedisGears' errors
 * for a missing value (`ID is missing`).
 */
function jsExecuteRequest(args: readonly string[]): DeployRequest | ErrorReply {
  const request: DeployRequest = { source: args[0]! };
  for (let i = 1; i < args.length; i++) {
    const word = args[i]!.toUpperCase();
    if (word === 'UNBLOCKING') request.unblocking = true;
    else if (word === 'UPGRADE') request.upgrade = true;
    else if (word === 'ID' || word === 'DESCRIPTION') {
      if (i + 1 >= args.length) return new ErrorReply(`ERR ${word} is missing`);
      const value = args[++i]!;
      if (word === 'ID') request.id = value;
      else request.description = value;
    } else return new ErrorReply(`ERR unknown argument '${args[i]}' for RG.JSEXECUTE`);
  }
  return request;
}

async function jsExecute(context: RgContext, args: string[]): Promise<Reply> {
  const request = jsExecuteRequest(args);
  if (request instanceof ErrorReply) return request;
  try {
    const outcome = await deploymentsIn(context).execute({ ...request, allowRequire: context.allowRequire });
    switch (outcome.kind) {
      case 'run':
        return runResultReply(outcome.result);
      case 'unblocking':
        return outcome.executionId;
      case 'register':
      case 'none':
        return OK;
    }
  } catch (error) {
    if (error instanceof DeploymentError) return new ErrorReply(error.message);
    return new ErrorReply(describeError(error));
  }
}

/** RG.JSDUMPSESSIONS, shaped like RedisGears' RG.PYDUMPSESSIONS (plus the error of a failed restore). */
function sessionsReply(deployments: Deployments): Reply {
  return deployments
    .dump()
    .map((d) => [
      'ID',
      d.id,
      'sessionDescription',
      d.description,
      'restoreError',
      d.restoreError,
      'registrations',
      d.registrations,
    ]);
}

/** Trigger commands wait while a deployment upgrade swaps registrations (a trigger in the gap is not lost). */
function gated<T>(context: RgContext, work: () => Promise<T>): Promise<T> {
  return context.deployments ? context.deployments.gate.shared(work) : work();
}

const id = (args: readonly string[]): string => args[0]!;
/** Every RG command: a small handler calling the engine method of the same name (executions: `executionCommands()`). */
const RG_COMMANDS: Record<string, RgCommand> = {
  'RG.JSEXECUTE': { arity: -2, run: jsExecute },
  'RG.DUMPEXECUTIONS': {
    arity: 1,
    run: async ({ gears }) =>
      (await gears.executionCommands().dump()).map((e) => [
        'executionId',
        e.executionId,
        'status',
        e.status,
        'registered',
        e.registered ? 1 : 0,
      ]),
  },
  'RG.GETRESULTS': {
    arity: 2,
    run: async ({ gears }, args) => runResultReply(await gears.executionCommands().results(id(args))),
  },
  'RG.GETRESULTSBLOCKING': {
    arity: 2,
    run: async ({ gears }, args) => runResultReply(await gears.executionCommands().resultsWhenDone(id(args))),
  },
  'RG.ABORTEXECUTION': {
    arity: 2,
    run: async ({ gears }, args) => (await gears.executionCommands().abort(id(args)), OK),
  },
  'RG.DROPEXECUTION': {
    arity: 2,
    run: async ({ gears }, args) => (await gears.executionCommands().drop(id(args)), OK),
  },
  'RG.GETEXECUTION': {
    arity: -2,
    run: async ({ gears }, args) => executionReply(await gears.executionCommands().info(id(args))),
  },
  'RG.DUMPREGISTRATIONS': {
    arity: 1,
    run: async ({ gears }) => gears.dumpRegistrations().map((r) => registrationReply(r)),
  },
  'RG.UNREGISTER': {
    arity: 2,
    run: async (context, args) => {
      await deploymentsIn(context).unregister(id(args));
      return OK;
    },
  },
  'RG.JSDUMPSESSIONS': { arity: 1, run: async (context) => sessionsReply(deploymentsIn(context)) },
  'RG.PAUSEREGISTRATIONS': {
    arity: -2,
    run: async ({ gears }, args) => (gears.pauseRegistrations(args), OK),
  },
  'RG.UNPAUSEREGISTRATIONS': {
    arity: -2,
    run: async ({ gears }, args) => (gears.unpauseRegistrations(args), OK),
  },
  'RG.CLEARREGISTRATIONSSTATS': {
    arity: 1,
    run: async ({ gears }) => (gears.clearRegistrationsStats(), OK),
  },
  'RG.TRIGGER': {
    arity: -2,
    run: async (context, [name, ...rest]) =>
      (await gated(context, async () => context.gears.trigger(name!, ...rest))).map(recordReply),
  },
  'RG.TRIGGERONKEY': {
    arity: -3,
    run: async (context, [name, key, ...rest]) =>
      (await gated(context, async () => context.gears.triggerOnKey(name!, key!, ...rest))).map(recordReply),
  },
  'RG.CONFIGGET': {
    arity: -2,
    run: async ({ gears }, keys) => gears.configGet(...keys).map(valueReply),
  },
  'RG.CONFIGSET': {
    arity: -3,
    run: async ({ gears }, args) => {
      if (args.length % 2 !== 0) return new ErrorReply("ERR wrong number of arguments for 'rg.configset' command");
      const pairs: Record<string, string> = {};
      for (let i = 0; i < args.length; i += 2) pairs[args[i]!] = args[i + 1]!;
      return gears.configSet(pairs).map(valueReply);
    },
  },
  'RG.INFOCLUSTER': {
    arity: 1,
    run: async ({ gears }) => clusterReply(gears.infoCluster()),
  },
  'RG.REFRESHCLUSTER': {
    arity: 1,
    run: async ({ gears }) => (await gears.refreshCluster(), OK),
  },
};

/** Redis' reply to a command it does not know: `ERR unknown command 'X', with args beginning with: 'a' `. */
export function unknownCommand(name: string, args: readonly string[]): ErrorReply {
  const start = args.map((a) => `'${a.slice(0, 128)}' `).join('');
  return new ErrorReply(`ERR unknown command '${name.slice(0, 128)}', with args beginning with: ${start}`);
}

/** Redis' wrong-arity reply, with the command name in lower case as Redis 7 prints it. */
export function wrongArity(name: string): ErrorReply {
  return new ErrorReply(`ERR wrong number of arguments for '${name.toLowerCase()}' command`);
}

/** True when `arity` (Redis' convention) accepts `argc` words including the command name. */
export function arityAccepts(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

/**
 * Runs an RG command (`name` as the client typed it): checks the arity, calls its handler, and turns failures into error replies — the
 * engine's RedisGears messages (`execution plan does not exist`) as they are.
 *
 * @example
 * await rgCommand({ gears, allowRequire: false }, 'RG.JSEXECUTE', ['GB().run()']) // [[…records], []]
 */
export async function rgCommand(context: RgContext, name: string, args: string[]): Promise<Reply> {
  const upper = name.toUpperCase();
  const command = Object.hasOwn(RG_COMMANDS, upper) ? RG_COMMANDS[upper] : undefined;
  if (!command) return unknownCommand(name, args);
  if (!arityAccepts(command.arity, args.length + 1)) return wrongArity(name);
  try {
    return await command.run(context, args);
  } catch (error) {
    return errorReply(error, true);
  }
}
