/** Placeholder until the workload is written (in progress this session); running it fails loudly. */
import type { BenchSettings, ResultRow } from './harness.ts';

export function run(_settings: BenchSettings): Promise<ResultRow[]> {
  return Promise.reject(new Error('bench/eventsLoad.ts is not written yet'));
}
