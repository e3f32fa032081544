/**
 * Shapes of the store contract scripts: each script is a list of commands run in order against a store under
 * test and against a real Redis 7.0, whose replies (or error messages) must be equal step by step.
 * `{p}` in any argument is replaced by a prefix unique to the run, so scripts never touch anybody else's keys.
 */

/** Rewrites the parts of a reply that legitimately differ between two correct stores (time, hash order). */
export type Normalizer = (reply: unknown) => unknown;

export interface Step {
  cmd: (string | number)[];
  norm?: Normalizer;
}

export interface Script {
  name: string;
  steps: Step[];
  /**
   * What a standalone Redis answers, not run against the cluster store: Redis Cluster refuses it by design
   * (SORT's BY and GET patterns).
   */
  standalone?: boolean;
}

export type StepInput = (string | number)[] | Step;

export function script(name: string, ...steps: StepInput[]): Script {
  return { name, steps: steps.map((s) => (Array.isArray(s) ? { cmd: s } : s)) };
}

/** A {@link script} that only a standalone Redis answers (see `Script.standalone`). */
export function standaloneScript(name: string, ...steps: StepInput[]): Script {
  return { ...script(name, ...steps), standalone: true };
}

/** A step whose reply is normalised before comparing. */
export function n(norm: Normalizer, ...cmd: (string | number)[]): Step {
  return { cmd, norm };
}

/** Arrays compared as sets (hash-table order differs between stores). */
export const sorted: Normalizer = (r) => (Array.isArray(r) ? [...r].map((x) => JSON.stringify(x)).sort() : r);

/** Positive numbers (TTLs that depend on the clock) compared as "positive". */
export const positive: Normalizer = (r) => (typeof r === 'number' && r > 0 ? 'positive' : r);

/** Stream ids generated from the clock (`XADD *`) compared as "ID", anywhere in the reply. */
export const anyId: Normalizer = (r) =>
  typeof r === 'string' && /^\d+-\d+$/.test(r) ? 'ID' : Array.isArray(r) ? r.map(anyId) : r;

/** XPENDING extended replies: idle time (3rd element of each entry) is clock-dependent. */
export const pendingIdle: Normalizer = (r) =>
  Array.isArray(r) ? r.map((e) => (Array.isArray(e) && e.length === 4 ? [e[0], e[1], 'idle', e[3]] : e)) : r;

/** XINFO CONSUMERS: the `idle` value of each consumer is clock-dependent. */
export const consumerIdle: Normalizer = (r) =>
  Array.isArray(r)
    ? r.map((c) =>
        Array.isArray(c) ? c.map((v, i) => (c[i - 1] === 'idle' || c[i - 1] === 'inactive' ? 'idle' : v)) : c,
      )
    : r;

/** Random samples: only how many elements came back (and whether it was an array) is compared. */
export const count: Normalizer = (r) => (Array.isArray(r) ? `${r.length} elements` : r === null ? r : 'one element');

/** XINFO STREAM FULL: a consumer's `seen-time`/`active-time` (Unix ms, from the clock), anywhere in the reply. */
export const seenTimes: Normalizer = (r) =>
  Array.isArray(r)
    ? r.map((v, i) => (r[i - 1] === 'seen-time' || r[i - 1] === 'active-time' ? 'time' : seenTimes(v)))
    : r;
