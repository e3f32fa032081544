/** CONFIG GET / SET / RESETSTAT / REWRITE / HELP: the command side of {@link StoreConfig} (see config.ts). */
import { RedisReplyError } from '../../errors.ts';
import type { RedisReply } from '../ShardStore.ts';
import { arityError } from './replies.ts';
import type { CommandContext, CommandDef } from './types.ts';

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
  'HELP',
  '    Prints this help.',
];

export const configCommands: CommandDef[] = [
  {
    name: 'config',
    arity: -2,
    subcommands: [
      {
        name: 'config|get',
        arity: -3,
        handler: ({ ks }: CommandContext, args: string[]): RedisReply => ks.config.match(args),
      },
      {
        name: 'config|set',
        arity: -4,
        handler: ({ ks }: CommandContext, args: string[]): RedisReply => {
          if (args.length % 2 !== 0) throw arityError('config|set');
          ks.config.set(args);
          return 'OK';
        },
      },
      { name: 'config|resetstat', arity: 2, handler: () => 'OK' },
      {
        name: 'config|rewrite',
        arity: 2,
        handler: () => {
          throw new RedisReplyError('ERR The server is running without a config file');
        },
      },
      { name: 'config|help', arity: 2, handler: () => CONFIG_HELP },
    ],
  },
];
