import { shardsIdReader } from '../shardsIdReader.ts';
import { defineReader } from '../descriptor.ts';

/** ShardsIDReader: one record per shard, its id. */
export const ShardsIDReader = defineReader<string, undefined>({
  name: 'ShardsIDReader',
  run: shardsIdReader,
  runOptions: {},
  pauseDropsEvents: true,
});
