import { GearsError } from '../../lib/errors.ts';
import { generatorReader, type GeneratorSource } from '../generatorReader.ts';
import { defineReader } from '../descriptor.ts';

/** GeneratorReader (RedisGears' PythonReader): what a generator function yields, per shard. */
export const GeneratorReader = defineReader<unknown, () => GeneratorSource<unknown>>({
  name: 'GeneratorReader',
  run: (context, generator) => generatorReader(context, generator),
  checkArg: (arg) => {
    if (typeof arg !== 'function') throw new GearsError('GeneratorReader argument must be a function');
  },
  runOptions: {},
  pauseDropsEvents: true,
});
