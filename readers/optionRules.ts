/**
 * Option validation shared by every reader descriptor and the engine's common options: a rule per option
 * (a check and what it expects), checked where options enter (`run()`, `register()`), so a typo or a wrong
 * type is a `GearsError` naming the option instead of a silent default.
 */
import { GearsError } from '../lib/errors.ts';

export type Check = (value: unknown) => boolean;

export interface Rule {
  check: Check;
  /** What the option takes, for the default message `option '<name>' must be <expected>`. */
  expected: string;
  /** A message of its own (RedisGears' exact wording where it has one). */
  message?: string;
}

/** Option name → rule. */
export type OptionRules = Readonly<Record<string, Rule>>;

export const rule = (check: Check, expected: string, message?: string): Rule =>
  message === undefined ? { check, expected } : { check, expected, message };

export const isString: Check = (v) => typeof v === 'string';
export const isBoolean: Check = (v) => typeof v === 'boolean';
export const isFunction: Check = (v) => typeof v === 'function';
export const isPositiveInteger: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v > 0;
export const isNonNegativeInteger: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
export const isStringList: Check = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string');

export const bool = rule(isBoolean, 'a boolean');
export const positiveInt = rule(isPositiveInteger, 'a positive integer');
export const nonEmptyString = rule((v) => typeof v === 'string' && v.length > 0, 'a non-empty string');
export const stringList = rule(isStringList, 'a list of strings');
export const fn = rule(isFunction, 'a function');

/**
 * Checks `options` against the first rule table that knows each option; `undefined` values are skipped.
 * Unknown options are refused (`unknown option '<name>' for <what>`) so typos do not pass silently.
 */
export function checkOptions(options: object, tables: readonly OptionRules[], what: string): void {
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const found = tables.find((t) => Object.hasOwn(t, name))?.[name];
    if (!found) throw new GearsError(`unknown option '${name}' for ${what}`);
    if (!found.check(value)) throw new GearsError(found.message ?? `option '${name}' must be ${found.expected}`);
  }
}
