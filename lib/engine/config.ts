import { GearsError } from '../errors.ts';

/** A configuration value: the built-ins are numbers or strings; extra keys hold what you set. */
export type ConfigValue = string | number;

/** The built-in settings (RedisGears' names), with their defaults. */
export interface GearsConfig {
  /** Most executions kept (unblocking runs and registration-triggered ones); the oldest finished go first. */
  MaxExecutions: number;
  /** Most executions kept per registration. */
  MaxExecutionsPerRegistration: number;
  /** An execution waiting on another shard longer than this (ms) is aborted: `Execution max idle reached`. */
  ExecutionMaxIdleTime: number;
  /** 1: record each step's duration in `getExecution()`. */
  ProfileExecutions: number;
  /** Most async callbacks pending at once per step and shard. */
  MaxPendingCallbacks: number;
  /**
   * Longest (ms) a script sent as source text (RG.JSEXECUTE, deployments, `rxgears exec`) may run its
   * synchronous top-level code: past it the script is stopped and fails with `Execution timed out`.
   */
  ScriptMaxBlockTime: number;
  /** Least level `log()` prints: `debug`, `verbose`, `notice` or `warning`. */
  LogLevel: string;
  /** Records crossing shards are structured-cloned (set by `connect({ cloneRecords })`; read-only). */
  CloneRecords: number;
}

export const DEFAULT_CONFIG: Readonly<GearsConfig> = {
  MaxExecutions: 1000,
  MaxExecutionsPerRegistration: 100,
  ExecutionMaxIdleTime: 5000,
  ProfileExecutions: 0,
  MaxPendingCallbacks: 64,
  ScriptMaxBlockTime: 5000,
  LogLevel: 'notice',
  CloneRecords: 0,
};

export const LOG_LEVELS = ['debug', 'verbose', 'notice', 'warning'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

interface Rule {
  check: (value: ConfigValue) => ConfigValue;
  modifiable: boolean;
}

const positiveInteger =
  (name: string) =>
  (value: ConfigValue): number => {
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new GearsError(`${name} must be a positive integer`);
    return n;
  };

const RULES: Record<keyof GearsConfig, Rule> = {
  MaxExecutions: { check: positiveInteger('MaxExecutions'), modifiable: true },
  MaxExecutionsPerRegistration: { check: positiveInteger('MaxExecutionsPerRegistration'), modifiable: true },
  ExecutionMaxIdleTime: { check: positiveInteger('ExecutionMaxIdleTime'), modifiable: true },
  MaxPendingCallbacks: { check: positiveInteger('MaxPendingCallbacks'), modifiable: true },
  ScriptMaxBlockTime: { check: positiveInteger('ScriptMaxBlockTime'), modifiable: true },
  ProfileExecutions: {
    check: (value) => {
      const n = Number(value);
      if (n !== 0 && n !== 1) throw new GearsError('ProfileExecutions must be 0 or 1');
      return n;
    },
    modifiable: true,
  },
  LogLevel: {
    check: (value) => {
      if (!LOG_LEVELS.includes(value as LogLevel))
        throw new GearsError(`LogLevel must be one of ${LOG_LEVELS.join(', ')}`);
      return value;
    },
    modifiable: true,
  },
  CloneRecords: { check: (value) => value, modifiable: false },
};

const isBuiltIn = (key: string): key is keyof GearsConfig => Object.hasOwn(RULES, key);

/**
 * The engine's configuration: the built-ins, validated where they enter, plus free-form extra keys that gear
 * functions read with `configGet(key)` (RedisGears' "extra config dictionary").
 */
export class ConfigStore {
  private readonly values: GearsConfig;
  private readonly extra = new Map<string, ConfigValue>();

  constructor(initial: Partial<GearsConfig> = {}) {
    this.values = { ...DEFAULT_CONFIG };
    for (const [key, value] of Object.entries(initial)) {
      if (!isBuiltIn(key)) throw new GearsError(`Unsupported config parameter: ${key}`);
      (this.values as unknown as Record<string, ConfigValue>)[key] = RULES[key].check(value as ConfigValue);
    }
  }

  /** A built-in value, typed. */
  get<K extends keyof GearsConfig>(key: K): GearsConfig[K] {
    return this.values[key];
  }

  /** Every built-in value. */
  snapshot(): GearsConfig {
    return { ...this.values };
  }

  /** A built-in or extra value; `undefined` when the key was never set. */
  lookup(key: string): ConfigValue | undefined {
    return isBuiltIn(key) ? this.values[key] : this.extra.get(key);
  }

  /**
   * Sets several keys at once, all or none: a built-in gets validated (`… must be a positive integer`,
   * `… not modifiable at runtime`), any other key goes to the extra dictionary. Returns, per key, RedisGears'
   * reply: `OK`, or `OK - value was saved in extra config dictionary`.
   */
  set(pairs: Record<string, ConfigValue>): string[] {
    const checked: [string, ConfigValue, boolean][] = Object.entries(pairs).map(([key, value]) => {
      if (typeof value !== 'string' && typeof value !== 'number')
        throw new GearsError(`${key}: value must be a string or a number`);
      if (!isBuiltIn(key)) return [key, value, false];
      if (!RULES[key].modifiable) throw new GearsError(`${key}: not modifiable at runtime`);
      return [key, RULES[key].check(value), true];
    });
    return checked.map(([key, value, builtIn]) => {
      if (builtIn) {
        (this.values as unknown as Record<string, ConfigValue>)[key] = value;
        return 'OK';
      }
      this.extra.set(key, value);
      return 'OK - value was saved in extra config dictionary';
    });
  }
}
