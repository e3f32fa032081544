/**
 * The commands added to the embedded store beyond its first core set, gathered here so the store's table
 * (MemoryStore.ts) takes one line for all of them.
 */
import type { CommandDef } from './types.ts';
import { adminCommands } from './admin.ts';
import { bitCommands } from './strings/bits.ts';
import { blockingCommands } from './blocking.ts';
import { configCommands } from './configCommands.ts';
import { dumpCommands } from './persistence/dump.ts';
import { geoCommands } from './geo/geo.ts';
import { hyperLogLogCommands } from './hyperloglog/hyperloglog.ts';
import { lcsCommands } from './strings/lcs.ts';
import { sortCommands } from './sort.ts';
import { keyspaceExtraCommands } from './keyspaceExtra.ts';
import { streamSetIdCommands } from './streams/streamSetId.ts';
import { randomCommands } from './random.ts';
import { zsetAlgebraCommands } from './zsets/zsetAlgebra.ts';

export const extraCommands: CommandDef[] = [
  ...randomCommands,
  ...blockingCommands,
  ...zsetAlgebraCommands,
  ...keyspaceExtraCommands,
  ...streamSetIdCommands,
  ...bitCommands,
  ...configCommands,
  ...adminCommands,
  ...lcsCommands,
  ...sortCommands,
  ...geoCommands,
  ...dumpCommands,
  ...hyperLogLogCommands,
];
