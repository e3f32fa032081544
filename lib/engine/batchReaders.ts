import type { Observable } from 'rxjs';
import { keysReader } from '../../readers/keysReader.ts';
import { keysOnlyReader } from '../../readers/keysOnlyReader.ts';
import { streamReader } from '../../readers/streamReader.ts';
import { shardsIdReader } from '../../readers/shardsIdReader.ts';
import { generatorReader } from '../../readers/generatorReader.ts';
import type { ReaderContext, ReaderName } from '../../readers/types.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- the table dispatches on a runtime name; the builder's
   ReaderTypes keep the public arguments typed. */
type AnyBatchRead = (context: ReaderContext, arg: any, options: any) => Observable<unknown>;

/** The batch side of each reader; `undefined` where the reader cannot `run()` (CommandReader). */
export const BATCH_READERS: Record<ReaderName, AnyBatchRead | undefined> = {
  KeysReader: keysReader,
  KeysOnlyReader: keysOnlyReader,
  StreamReader: streamReader,
  ShardsIDReader: shardsIdReader,
  GeneratorReader: (context, generator) => generatorReader(context, generator),
  CommandReader: undefined,
};
