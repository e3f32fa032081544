/**
 * The lease control plane's decision, as a pure function of one snapshot of the control keys: which tasks a
 * worker renews, gives up and takes. The tick (`tick.ts`) reads the snapshot and applies the decision in one
 * optimistic transaction, so every decision is made on a consistent view (README "Scaling out", decision L2).
 *
 * Balance: with T tasks and W live workers, every worker ends up with ⌊T/W⌋ or ⌈T/W⌉ tasks. A worker keeps
 * what it holds up to its share (sticky, so a join moves few tasks), gives up only what others need, and
 * gives up in two steps — first marked `releasing` while it stops the task, then deleted (break before make).
 */

/** A lease as stored: `<worker>:<epoch>`, or `<worker>:<epoch>:r` while its owner is stopping the task. */
export interface Lease {
  owner: string;
  epoch: number;
  releasing: boolean;
}

export function formatLease(lease: Lease): string {
  return `${lease.owner}:${lease.epoch}${lease.releasing ? ':r' : ''}`;
}

export function parseLease(value: string | null): Lease | undefined {
  if (value === null) return undefined;
  const match = /^(.+):(\d+)(:r)?$/.exec(value);
  if (!match) return undefined;
  return { owner: match[1]!, epoch: Number(match[2]), releasing: match[3] !== undefined };
}

/** What one worker sees in a tick. */
export interface LeaseView {
  self: string;
  /** Every task id, in a fixed order (the order ties are broken by). */
  tasks: readonly string[];
  /** Live workers (heartbeat key present), self included. */
  live: readonly string[];
  /** The valid lease of each task that has one. */
  leases: ReadonlyMap<string, Lease>;
  /** Tasks of self's that it has finished stopping (it may delete their leases now). */
  stopped: ReadonlySet<string>;
}

export interface LeaseDecision {
  /** Self's leases to renew as they are. */
  renew: string[];
  /** Self's tasks to mark releasing and stop (renewed, with the mark). */
  release: string[];
  /** Self's releasing tasks that are stopped: their leases are deleted. */
  drop: string[];
  /** Unowned tasks to take (new epoch). */
  acquire: string[];
}

export function decide(view: LeaseView): LeaseDecision {
  const { self, tasks, leases } = view;
  const live = new Set(view.live).add(self);
  const workers = live.size;
  const floor = Math.floor(tasks.length / workers);
  const ceil = Math.ceil(tasks.length / workers);
  // How many workers may hold ⌈T/W⌉ when T is not a multiple of W.
  const atCeilAllowed = tasks.length - floor * workers;

  const counts = new Map<string, number>([...live].map((w) => [w, 0]));
  const mine: string[] = [];
  const releasing: string[] = [];
  const free: string[] = [];
  let comingFree = 0;
  for (const task of tasks) {
    const lease = leases.get(task);
    if (!lease) {
      free.push(task);
      continue;
    }
    if (lease.releasing) {
      comingFree++;
      if (lease.owner === self) releasing.push(task);
      continue;
    }
    if (lease.owner === self) mine.push(task);
    if (counts.has(lease.owner)) counts.set(lease.owner, counts.get(lease.owner)! + 1);
  }

  const decision: LeaseDecision = { renew: [], release: [], drop: [], acquire: [] };
  for (const task of releasing) (view.stopped.has(task) ? decision.drop : decision.renew).push(task);

  // What live others lack to reach ⌊T/W⌋, beyond what is free or coming free.
  const others = [...live].filter((w) => w !== self);
  const needed = others.reduce((sum, w) => sum + Math.max(0, floor - counts.get(w)!), 0);
  let keep = mine.length;
  if (keep > ceil) keep = ceil;
  const available = free.length + comingFree + (mine.length - keep);
  if (keep === ceil && ceil > floor && needed > available) {
    // Workers at ⌈T/W⌉ give up one each, in id order, until the need is met: each worker computes the same list.
    const atCeil = [...live].filter((w) => counts.get(w) === ceil).sort();
    if (atCeil.indexOf(self) < needed - available) keep--;
  }
  decision.renew.push(...mine.slice(0, keep));
  decision.release.push(...mine.slice(keep));

  let count = keep;
  const take = free.slice();
  while (count < floor && take.length > 0) {
    decision.acquire.push(take.shift()!);
    count++;
  }
  // One above ⌊T/W⌋ only when nobody below it could use the task and fewer than allowed hold ⌈T/W⌉.
  const atCeilOthers = others.filter((w) => counts.get(w)! >= ceil).length;
  if (count === floor && ceil > floor && take.length > needed && atCeilOthers < atCeilAllowed) {
    decision.acquire.push(take.shift()!);
  }
  return decision;
}
