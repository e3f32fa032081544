import { randomUUID } from 'node:crypto';
import type { Gears } from '../../Gears.ts';
import { GearsError, formatError } from '../../errors.ts';
import { runScript, type ScriptOptions, type ScriptOutcome } from './sandbox.ts';

/** The Redis hash that keeps the deployments made through the server, unless the server names another. */
export const DEFAULT_DEPLOYMENTS_KEY = 'rxgears:deployments';

/** RedisGears' session id alphabet. */
const DEPLOYMENT_ID = /^[A-Za-z0-9_-]+$/;

/** A deployment request refused (`Session x already exists`): replied with its message as it is. */
export class DeploymentError extends GearsError {
  override readonly name = 'DeploymentError';
}

/** What RG.JSEXECUTE asks for. */
export interface DeployRequest {
  source: string;
  /** Names the deployment (RedisGears' session id); one is generated when the script registers without it. */
  id?: string;
  /** Replace the deployment `id` if it exists. */
  upgrade?: boolean;
  description?: string;
  unblocking?: boolean;
  /** Give the script `require`, `process` and `import()` (the server's `--allow-require`). */
  allowRequire?: boolean;
  /** A stored deployment run again at start (see `ScriptOptions.restoring`). */
  restoring?: boolean;
}

/** A deployment as stored: everything needed to run its script again. */
interface StoredDeployment {
  source: string;
  description?: string;
  unblocking?: boolean;
  /** When it was first deployed (ms): restores run in this order. */
  createdAt: number;
  /** The ids of its registrations when it was stored: an app's outlive the server (see `restore`). */
  registrationIds?: string[];
}

/** A deployment: a script that registered gears, and the registrations it has now. */
interface Deployment extends StoredDeployment {
  id: string;
  registrations: Set<string>;
  /** Whether it ran with `require` (kept in memory only: a stored script gets what the restoring server allows). */
  allowRequire?: boolean;
  /** Why the script failed when the server ran it again at start, if it did. */
  restoreError?: string;
}

/** One line of `RG.JSDUMPSESSIONS`. */
export interface DeploymentInfo {
  id: string;
  description: string | null;
  registrations: string[];
  restoreError: string | null;
}

/**
 * Lets proxied writes and trigger commands run side by side (`shared`) but never while a deployment upgrade
 * swaps registrations (`exclusive`): a write that arrives during an upgrade waits, then meets the new
 * registrations — it is never handled by both, or by neither. A waiting upgrade holds new writes back
 * (no starvation). Reads do not take the gate: they cannot trigger anything.
 */
export class SwapGate {
  private holders = 0;
  private swap: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  async shared<T>(work: () => Promise<T>): Promise<T> {
    while (this.swap) await this.swap;
    this.holders++;
    try {
      return await work();
    } finally {
      if (--this.holders === 0) this.drained?.();
    }
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    while (this.swap) await this.swap;
    let release!: () => void;
    this.swap = new Promise((resolve) => (release = resolve));
    try {
      while (this.holders > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = undefined;
      return await work();
    } finally {
      this.swap = undefined;
      release();
    }
  }
}

/** Where deployments are kept between server runs. */
interface DeploymentStore {
  /** Every stored deployment; a value that is not one is a string saying why. */
  load(): Promise<Map<string, StoredDeployment | string>>;
  save(id: string, deployment: StoredDeployment): Promise<void>;
  remove(id: string): Promise<void>;
}

/** A stored deployment's JSON, checked; a string saying what is wrong otherwise. */
function parseStored(text: string): StoredDeployment | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not a stored deployment (not JSON)';
  }
  const entry = value as Partial<StoredDeployment> | null;
  if (entry === null || typeof entry !== 'object' || typeof entry.source !== 'string') {
    return 'not a stored deployment (no source)';
  }
  return {
    source: entry.source,
    createdAt: typeof entry.createdAt === 'number' ? entry.createdAt : 0,
    ...(typeof entry.description === 'string' ? { description: entry.description } : {}),
    ...(entry.unblocking === true ? { unblocking: true } : {}),
    ...(Array.isArray(entry.registrationIds) && entry.registrationIds.every((id) => typeof id === 'string')
      ? { registrationIds: entry.registrationIds }
      : {}),
  };
}

/** Nothing survives the process: the embedded store, or persistence turned off. */
const inMemory: DeploymentStore = {
  load: () => Promise.resolve(new Map()),
  save: () => Promise.resolve(),
  remove: () => Promise.resolve(),
};

/**
 * One Redis hash, field = deployment id, value = JSON. One key, so one slot: on a Cluster `gears.execute`
 * routes it to the master that owns it.
 */
function redisHash(gears: Gears, key: string): DeploymentStore {
  return {
    async load() {
      const reply = (await gears.execute('HGETALL', key)) as string[] | null;
      const stored = new Map<string, StoredDeployment | string>();
      for (let i = 0; reply && i + 1 < reply.length; i += 2) stored.set(reply[i]!, parseStored(reply[i + 1]!));
      return stored;
    },
    async save(id, deployment) {
      await gears.execute('HSET', key, id, JSON.stringify(deployment));
    },
    async remove(id) {
      await gears.execute('HDEL', key, id);
    },
  };
}

/** Serialises the operations that change the deployment table (deploy with an id, upgrade, unregister). */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** How a deployment table is made. */
export interface DeploymentsOptions {
  /** The Redis hash to keep deployments in; `false` keeps them in memory. Ignored on the embedded store. */
  key?: string | false;
  /** Give restored scripts `require`, `process` and `import()` (the first server's `--allow-require`). */
  allowRequire?: boolean;
}

/**
 * The server's deployments: RG.JSEXECUTE scripts that registered gears, by id (RedisGears' sessions).
 * Backed by Redis (a hash, `rxgears:deployments` by default) their scripts are stored and run again when a
 * server starts on that Redis, so the registrations come back; on the embedded store they live as long as
 * the process. `ID` names a deployment, `UPGRADE` replaces one in one step, `RG.UNREGISTER` of its last
 * registration forgets it.
 *
 * @example
 * const deployments = deploymentsOf(gears, { key: 'rxgears:deployments' });
 * await deployments.ready;        // stored scripts ran again
 * await deployments.execute({ source: "GB().register('person:*')", id: 'people' });
 */
export class Deployments {
  readonly gate = new SwapGate();
  /** Resolves once the stored deployments were run again (failures are logged, never thrown). */
  readonly ready: Promise<void>;
  readonly key: string | false;
  private readonly store: DeploymentStore;
  private readonly byId = new Map<string, Deployment>();
  private readonly mutex = new Mutex();

  constructor(
    private readonly gears: Gears,
    private readonly options: DeploymentsOptions = {},
  ) {
    const key = options.key ?? DEFAULT_DEPLOYMENTS_KEY;
    this.key = gears.topology.kind === 'memory' ? false : key;
    if (this.key !== false && (typeof this.key !== 'string' || this.key === '')) {
      throw new GearsError('the deployments key must be a non-empty string (or false)');
    }
    this.store = this.key === false ? inMemory : redisHash(gears, this.key);
    this.ready = this.mutex.run(() => this.restore());
  }

  /**
   * RG.JSEXECUTE: runs the script; when it registered gears, keeps it as a deployment (stored before the
   * reply). An `id` that exists answers `Session <id> already exists` unless `upgrade`, which unregisters the
   * old deployment's gears and runs the new script as one step for the server's clients (their writes wait);
   * when the new script fails, the old one is registered again and the error is the reply.
   */
  async execute(request: DeployRequest): Promise<ScriptOutcome> {
    const { id } = request;
    if (id !== undefined && !DEPLOYMENT_ID.test(id)) {
      throw new DeploymentError(`session id must be composed of letters, digits, '_' and '-', got '${id}'`);
    }
    if (id === undefined) {
      // Without an id nothing can clash: run freely, take the lock only to record the result.
      const outcome = await this.run(request);
      if (outcome.registrations.length > 0) await this.mutex.run(() => this.keep(randomUUID(), request, outcome));
      return outcome;
    }
    return this.mutex.run(async () => {
      const existing = this.byId.get(id);
      if (existing && !request.upgrade) throw new DeploymentError(`Session ${id} already exists`);
      if (!existing) {
        const outcome = await this.run(request);
        if (outcome.registrations.length > 0) await this.keep(id, request, outcome);
        return outcome;
      }
      return this.gate.exclusive(() => this.upgrade(existing, request));
    });
  }

  /**
   * RG.UNREGISTER: a registration id unregisters that registration (and forgets its deployment once none of
   * the deployment's registrations is left); a deployment id unregisters all of its registrations and forgets
   * it — the way to remove a deployment whose script failed to run again at start.
   */
  unregister(id: string): Promise<void> {
    return this.mutex.run(async () => {
      const deployment = this.byId.get(id);
      if (deployment) {
        for (const registrationId of deployment.registrations) this.unregisterQuietly(registrationId);
        await this.forget(deployment);
        return;
      }
      this.gears.unregister(id);
      const owner = [...this.byId.values()].find((d) => d.registrations.has(id));
      if (!owner) return;
      owner.registrations.delete(id);
      if (this.live(owner).length === 0) await this.forget(owner);
    });
  }

  /** RG.JSDUMPSESSIONS: every deployment, its live registrations and the error of a failed restore. */
  dump(): DeploymentInfo[] {
    return [...this.byId.values()].map((deployment) => ({
      id: deployment.id,
      description: deployment.description ?? null,
      registrations: this.live(deployment),
      restoreError: deployment.restoreError ?? null,
    }));
  }

  private run(request: DeployRequest, beforeRun?: () => unknown): Promise<ScriptOutcome> {
    const options: ScriptOptions = {
      filename: request.id ?? 'RG.JSEXECUTE',
      allowRequire: request.allowRequire ?? this.options.allowRequire ?? false,
      ...(request.unblocking ? { unblocking: true } : {}),
      ...(request.description !== undefined ? { description: request.description } : {}),
      ...(beforeRun ? { beforeRun } : {}),
      ...(request.restoring ? { restoring: true } : {}),
    };
    return runScript(this.gears, request.source, options);
  }

  /** Records a deployment and stores it; if storing fails, its registrations go (what is live is what persists). */
  private async keep(
    id: string,
    request: DeployRequest,
    outcome: ScriptOutcome,
    createdAt = Date.now(),
  ): Promise<void> {
    const stored: StoredDeployment = {
      source: request.source,
      createdAt,
      ...(request.description !== undefined ? { description: request.description } : {}),
      ...(request.unblocking ? { unblocking: true } : {}),
      registrationIds: outcome.registrations,
    };
    try {
      await this.store.save(id, stored);
    } catch (error) {
      for (const registrationId of outcome.registrations) this.unregisterQuietly(registrationId);
      throw new DeploymentError(`could not store deployment ${id}: ${formatError(error)}`, { cause: error });
    }
    this.byId.set(id, {
      id,
      ...stored,
      registrations: new Set(outcome.registrations),
      ...(request.allowRequire ? { allowRequire: true } : {}),
    });
  }

  private async upgrade(existing: Deployment, request: DeployRequest): Promise<ScriptOutcome> {
    let outcome: ScriptOutcome;
    let swapped = false;
    // A deployment whose script failed at start has nothing registered to give back.
    const hadRegistrations = existing.registrations.size > 0;
    try {
      // Compiled first: a syntax error leaves the old registrations alone. Then the old go, the new come.
      outcome = await this.run(request, () => {
        swapped = true;
        for (const registrationId of existing.registrations) this.unregisterQuietly(registrationId);
        existing.registrations.clear();
      });
    } catch (error) {
      // The failed script's own registrations were rolled back by runScript.
      if (swapped && hadRegistrations) await this.reinstate(existing);
      throw error;
    }
    this.byId.delete(existing.id);
    if (outcome.registrations.length > 0) {
      try {
        await this.keep(existing.id, request, outcome, existing.createdAt);
      } catch (error) {
        this.byId.set(existing.id, existing);
        if (hadRegistrations) await this.reinstate(existing);
        throw error;
      }
    } else await this.store.remove(existing.id);
    return outcome;
  }

  /** Runs an old deployment's script again after a failed upgrade. */
  private async reinstate(deployment: Deployment): Promise<void> {
    try {
      const outcome = await this.run(deployment);
      deployment.registrations = new Set(outcome.registrations);
      delete deployment.restoreError;
    } catch (error) {
      deployment.restoreError = formatError(error);
      this.gears.logFrom(
        undefined,
        'warning',
        `deployment ${deployment.id}: could not register the old script again after a failed upgrade: ${deployment.restoreError}`,
      );
    }
  }

  private async forget(deployment: Deployment): Promise<void> {
    this.byId.delete(deployment.id);
    await this.store.remove(deployment.id);
  }

  /** The deployment's registrations the engine still has (one may have been unregistered through the API). */
  private live(deployment: Deployment): string[] {
    const current = new Set(this.gears.dumpRegistrations().map((r) => r.id));
    return [...deployment.registrations].filter((id) => current.has(id));
  }

  private unregisterQuietly(registrationId: string): void {
    try {
      this.gears.unregister(registrationId, { abortPending: true });
    } catch {
      // already unregistered
    }
  }

  /**
   * Runs every stored deployment's script again, oldest first. One that fails is logged and kept (stored and
   * listed by RG.JSDUMPSESSIONS with its error) so a later start — with the missing key, flag or fix — can
   * restore it; `RG.UNREGISTER <deployment id>` removes it for good.
   */
  private async restore(): Promise<void> {
    let stored: Map<string, StoredDeployment | string>;
    let lasting: ReadonlySet<string> | undefined;
    try {
      stored = await this.store.load();
      if (stored.size > 0) lasting = await this.gears.lastingRegistrations();
    } catch (error) {
      this.gears.logFrom(
        undefined,
        'warning',
        `could not read the deployments in ${String(this.key)}: ${formatError(error)}`,
      );
      return;
    }
    const createdAt = (entry: StoredDeployment | string): number => (typeof entry === 'string' ? 0 : entry.createdAt);
    const ordered = [...stored].sort(([a, x], [b, y]) => createdAt(x) - createdAt(y) || (a < b ? -1 : 1));
    let restored = 0;
    for (const [id, entry] of ordered) {
      if (typeof entry === 'string') {
        // Listed with its error, so RG.UNREGISTER <id> can remove it.
        this.byId.set(id, { id, source: '', createdAt: 0, registrations: new Set(), restoreError: entry });
        this.gears.logFrom(undefined, 'warning', `deployment ${id} was not restored: ${entry}`);
        continue;
      }
      const deployment: Deployment = { ...entry, id, registrations: new Set() };
      this.byId.set(id, deployment);
      if (lasting !== undefined && entry.registrationIds !== undefined) {
        // An app's registrations live in Redis, not in this server: running the script again would
        // register them twice. The deployment takes back those still there; with none left, it is gone.
        const kept = entry.registrationIds.filter((registrationId) => lasting.has(registrationId));
        if (kept.length === 0) {
          await this.forget(deployment);
          continue;
        }
        deployment.registrations = new Set(kept);
        restored++;
        continue;
      }
      try {
        const outcome = await this.run({ ...entry, id, restoring: true });
        if (outcome.registrations.length === 0) {
          // Nothing to register any more (its time events' keys were deleted): no deployment, as at first.
          this.gears.logFrom(undefined, 'notice', `deployment ${id} registers nothing any more: forgotten`);
          await this.forget(deployment);
          continue;
        }
        deployment.registrations = new Set(outcome.registrations);
        restored++;
      } catch (error) {
        deployment.restoreError = formatError(error);
        this.gears.logFrom(undefined, 'warning', `deployment ${id} was not restored: ${deployment.restoreError}`);
      }
    }
    if (restored > 0) {
      this.gears.logFrom(undefined, 'notice', `restored ${restored} deployment(s) from ${String(this.key)}`);
    }
  }
}

const attached = new WeakMap<Gears, Deployments>();

/**
 * The deployments of an engine, made on first use: every server on one engine shares them, so stored scripts
 * run again once per engine, not once per server.
 */
export function deploymentsOf(gears: Gears, options: DeploymentsOptions = {}): Deployments {
  const existing = attached.get(gears);
  if (existing) {
    const key = gears.topology.kind === 'memory' ? false : (options.key ?? DEFAULT_DEPLOYMENTS_KEY);
    if (existing.key !== key) {
      throw new GearsError(`this engine already keeps its deployments in ${String(existing.key)}, not ${String(key)}`);
    }
    return existing;
  }
  const deployments = new Deployments(gears, options);
  attached.set(gears, deployments);
  return deployments;
}
