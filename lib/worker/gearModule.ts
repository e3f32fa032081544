import { createHash } from 'node:crypto';
import type { GearsBuilder } from '../builder/GearsBuilder.ts';
import type { Step } from '../builder/steps.ts';
import { GearsError } from '../errors.ts';
import { describePlan, type Plan } from '../builder/plan.ts';
import type { GBFunction } from '../Gears.ts';

/** Builds one named gear from an engine's `GB`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a module's gears have any record types
export type GearFactory = (GB: GBFunction) => GearsBuilder<any>;

const MODULE = Symbol.for('rxgears.gearModule');

/** A gear module: named gears that every worker of an app loads (`rxgears worker --gears FILE`) and drivers run by name. */
export interface GearModule {
  readonly gears: Readonly<Record<string, GearFactory>>;
  readonly [MODULE]: true;
}

/**
 * Declares a gear module — Kafka Streams' model: every process of an app runs the same code. A driver runs a
 * gear by name (`gears.gear('families').run()`), sending only the name and the gear's fingerprint; each worker
 * builds the gear from its own copy of the module and refuses to run it when its fingerprint differs.
 *
 * @example
 * // gears.js, loaded by `rxgears worker --gears gears.js` and by the driver
 * export default defineGears({ families: (GB) => GB().countBy((r) => r.value.family) });
 */
export function defineGears(gears: Record<string, GearFactory>): GearModule {
  if (gears === null || typeof gears !== 'object')
    throw new GearsError('defineGears takes an object of name → (GB) => gear');
  for (const [name, factory] of Object.entries(gears)) {
    if (typeof factory !== 'function') throw new GearsError(`gear '${name}' must be a function (GB) => gear`);
    if (!/^[\w.-]+$/.test(name)) throw new GearsError(`gear name '${name}' must be letters, digits, '_', '.' or '-'`);
  }
  return { gears: { ...gears }, [MODULE]: true };
}

export function isGearModule(value: unknown): value is GearModule {
  return typeof value === 'object' && value !== null && (value as Partial<GearModule>)[MODULE] === true;
}

/** A module's default export (or the module itself) as a gear module; a `GearsError` when it is not one. */
export function gearModuleOf(loaded: unknown, file: string): GearModule {
  const candidate = (loaded as { default?: unknown } | null)?.default ?? loaded;
  if (isGearModule(candidate)) return candidate;
  throw new GearsError(`${file} is not a gear module: export default defineGears({ name: (GB) => GB()… })`);
}

/** The gear `name` of `module`, built on `GB`, with its fingerprint. */
export function buildGear(module: GearModule, name: string, GB: GBFunction): { plan: Plan; fingerprint: string } {
  const factory = Object.hasOwn(module.gears, name) ? module.gears[name] : undefined;
  if (!factory)
    throw new GearsError(
      `no gear '${name}' in the gear module (it has ${Object.keys(module.gears).join(', ') || 'none'})`,
    );
  const plan = factory(GB).plan;
  return { plan, fingerprint: fingerprint(plan) };
}

/**
 * A plan's fingerprint: SHA-1 of its description and the source text of every callback (spacing aside). Two
 * processes with the same fingerprint run the same code (up to what a function's text does not show: the values
 * it closes over, and the arguments of RxJS operators given to `pipe`).
 */
export function fingerprint(plan: Plan): string {
  const hash = createHash('sha1').update(describePlan(plan));
  for (const step of plan.steps) for (const part of stepCode(step)) hash.update('\0').update(normalize(part));
  return hash.digest('hex');
}

/**
 * A function's text without what transpilers change (tsx, vitest and tsc print the same code with other
 * spacing, and `(x) =>` as `x =>`): whitespace removed, a lone parenthesised arrow parameter unwrapped.
 */
function normalize(code: string): string {
  return code.replace(/\s+/g, '').replace(/\(([\w$]+)\)=>/g, '$1=>');
}

function stepCode(step: Step): string[] {
  switch (step.kind) {
    case 'map':
    case 'flatMap':
    case 'forEach':
    case 'filter':
      return [String(step.fn)];
    case 'accumulate':
      return [String(step.fn), String(step.zero), String(step.emitEmpty)];
    case 'localGroupBy':
      return [String(step.extractor), String(step.reducer), String(step.zero)];
    case 'repartition':
      return [String(step.extractor)];
    case 'pipe':
      return step.operators.map(String);
    case 'limit':
    case 'collect':
      return [];
  }
}
