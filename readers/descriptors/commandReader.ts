import { GearsError } from '../../lib/errors.ts';
import { defineReader } from '../descriptor.ts';
import { bool, nonEmptyString, rule } from '../optionRules.ts';

/** CommandReader: runs on `gears.trigger(name, …)` or instead of a command (`hook`); register only. */
export const CommandReader = defineReader<string[], never>({
  name: 'CommandReader',
  runOptions: {},
  registerOptions: {
    trigger: rule((v) => typeof v === 'string' && v.length > 0, 'a non-empty string', 'trigger argument is not string'),
    hook: rule((v) => typeof v === 'string' && v.length > 0, 'a command name'),
    keyPrefix: nonEmptyString,
    inOrder: bool,
  },
  checkRegister: (options) => {
    if (options['trigger'] === undefined && options['hook'] === undefined)
      throw new GearsError('no trigger or hook argument was given');
    if (options['trigger'] !== undefined && options['hook'] !== undefined)
      throw new GearsError('trigger and hook can not be given together');
    if (options['keyPrefix'] !== undefined && options['hook'] === undefined)
      throw new GearsError('keyPrefix is only valid with hook');
  },
  pauseDropsEvents: true,
});
