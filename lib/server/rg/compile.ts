import { Script, type ScriptOptions as VmScriptOptions } from 'node:vm';
import type { transform as SucraseTransform } from 'sucrase';
import { instrument } from './instrument.ts';

type Transform = typeof SucraseTransform;

let sucrase: Promise<Transform> | undefined;

/**
 * Sucrase's `transform`, loaded on first use. Decision: Sucrase strips TypeScript types (no type checking)
 * in about 1 MB, where the `typescript` package is 23 MB and tsx/esbuild 12 MB; it keeps every line where it
 * was, so errors and stack traces name the script's own lines.
 */
function loadSucrase(): Promise<Transform> {
  sucrase ??= import('sucrase').then(
    (module) => (module as unknown as { default?: { transform: Transform } }).default?.transform ?? module.transform,
  );
  return sucrase;
}

/** Where V8 puts a SyntaxError: line from `<filename>:<line>`, column from the caret line under the source. */
function v8Position(error: Error, filename: string): { line: number; column: number | undefined } | undefined {
  const [first, , caret] = error.stack?.split('\n') ?? [];
  const line = first?.startsWith(`${filename}:`) ? Number(first.slice(filename.length + 1)) : NaN;
  if (!Number.isInteger(line)) return undefined;
  const column = caret?.indexOf('^') ?? -1;
  return { line, column: column >= 0 ? column + 1 : undefined };
}

function isSyntaxError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'SyntaxError';
}

/** A SyntaxError with the line it is on, read from V8's stack (`<filename>:<line>` comes first). */
function located(error: Error, filename: string): Error {
  const line = error.stack?.startsWith(`${filename}:`) ? /^[^\n]*:(\d+)\n/.exec(error.stack)?.[1] : undefined;
  if (line !== undefined && !error.message.includes('(line ')) error.message += ` (line ${line})`;
  return error;
}

/** What compiling a script needs: `node:vm`'s options, the name in traces, the guard's global name. */
export type CompileOptions = VmScriptOptions & {
  filename: string;
  /** The global the inserted budget checks call (`instrument()`); no checks without it. */
  guard?: string;
};

/** V8's own SyntaxError for `source` (its message and line are what users know), if V8 rejects it too. */
function v8SyntaxError(source: string, options: VmScriptOptions): Error | undefined {
  try {
    new Script(source, options);
    return undefined;
  } catch (error) {
    return isSyntaxError(error) ? error : undefined;
  }
}

/**
 * Compiles JavaScript as a script; when it does not parse, as the body of an async function, so a script can
 * `await` at top level (its completion value is then lost, the actions it starts are still tracked). With
 * `guard`, the code compiled is the source with budget checks inserted (instrument.ts).
 */
function compileJavaScript(source: string, options: CompileOptions): Script {
  const { guard, ...vmOptions } = options;
  const code = (text: string): string => (guard === undefined ? text : instrument(text, guard));
  try {
    return new Script(code(source), vmOptions);
  } catch (error) {
    if (!isSyntaxError(error)) throw error;
    try {
      return new Script(code(`(async () => {\n${source}\n})()`), { ...vmOptions, lineOffset: -1 });
    } catch {
      // acorn's error is the last resort: V8's names the line the way users know it.
      throw located(v8SyntaxError(source, vmOptions) ?? error, options.filename);
    }
  }
}

/**
 * Compiles a script's source for `node:vm`. JavaScript is compiled as is; source that does not parse as
 * JavaScript is taken for TypeScript, its types stripped with Sucrase (no type checking), then compiled.
 * Decision: JavaScript first, so plain scripts never load the stripper; the price is that the rare TypeScript
 * that is also valid JavaScript with another meaning (`f<T>(x)`, explicit type arguments on a call) runs as
 * JavaScript — write `f(x)` instead. A source that parses as neither throws a `SyntaxError` with its line:
 * V8's message where V8 stopped at the same place as the TypeScript parser, the parser's otherwise.
 *
 * @example
 * const script = await compileScript('GB().map((r: { key: string }) => r.key).run()', { filename: 'rg.js' });
 */
export async function compileScript(source: string, options: CompileOptions): Promise<Script> {
  let javascriptError: Error;
  try {
    return compileJavaScript(source, options);
  } catch (error) {
    if (!isSyntaxError(error)) throw error;
    javascriptError = error;
  }
  const transform = await loadSucrase();
  let stripped: string;
  try {
    stripped = transform(source, { transforms: ['typescript'], disableESTransforms: true }).code;
  } catch (error) {
    const at = (error as { loc?: { line: number; column: number } }).loc;
    if (!(error instanceof Error) || at === undefined) throw located(javascriptError, options.filename);
    const v8 = v8Position(javascriptError, options.filename);
    if (v8?.line === at.line && (v8.column === undefined || v8.column === at.column)) {
      throw located(javascriptError, options.filename);
    }
    throw new SyntaxError(`${error.message.replace(/\s*\(\d+:\d+\)$/, '')} (line ${at.line})`, { cause: error });
  }
  try {
    return compileJavaScript(stripped, options);
  } catch (error) {
    if (isSyntaxError(error)) throw located(javascriptError, options.filename);
    throw error;
  }
}
