import type { Gears } from '../Gears.ts';

/** What the RESP server counts into: an engine's metrics, when it has some. */
export interface ProxyCounter {
  countProxied(command: string, failed: boolean): void;
}

/** Kept apart from GearsMetrics so a server without metrics does not load prom-client to find out. */
export const proxyCounters = new WeakMap<Gears, ProxyCounter>();

/** Counts a proxied command in the engine's metrics, if it has any (the RESP server's one call site). */
export function countProxied(gears: Gears, command: string, failed: boolean): void {
  proxyCounters.get(gears)?.countProxied(command, failed);
}

/** The engine's proxy counter, if it has metrics: looked up once for a batch of requests. */
export function proxyCounterOf(gears: Gears): ProxyCounter | undefined {
  return proxyCounters.get(gears);
}
