import { Script, type ScriptOptions as VmScriptOptions } from 'node:vm';
import type * as TypeScript from 'typescript';
import { instrument } from './instrument.ts';

type TypeScriptModule = typeof TypeScript;

let typescript: Promise<TypeScriptModule | undefined> | undefined;

/** The `typescript` package, loaded on first use (it is large and plain JavaScript scripts never need it). */
function loadTypeScript(): Promise<TypeScriptModule | undefined> {
  typescript ??= import('typescript').then(
    (module) => ((module as unknown as { default?: TypeScriptModule }).default ?? module) as TypeScriptModule,
    () => undefined,
  );
  return typescript;
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
 * JavaScript is taken for TypeScript, its types stripped with the `typescript` package's `transpileModule`
 * (no type checking), then compiled. Decision: JavaScript first, so plain scripts never load TypeScript
 * (about a second of startup); the price is that the rare TypeScript that is also valid JavaScript with another
 * meaning (`f<T>(x)`, explicit type arguments on a call) runs as JavaScript — write `f(x)` instead.
 * A source that parses as neither throws a `SyntaxError` with TypeScript's message and the line.
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
  const ts = await loadTypeScript();
  if (!ts) {
    javascriptError.message += " (TypeScript source needs the 'typescript' package installed)";
    throw javascriptError;
  }
  const output = ts.transpileModule(source, {
    fileName: 'script.ts',
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: false },
  });
  const diagnostic = output.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (diagnostic) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    const where =
      diagnostic.file && diagnostic.start !== undefined
        ? ` (line ${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1})`
        : '';
    // TypeScript's message, not V8's: for TypeScript source V8 would point at the first type annotation.
    throw new SyntaxError(`${message}${where}`);
  }
  try {
    return compileJavaScript(output.outputText, options);
  } catch (error) {
    if (isSyntaxError(error)) throw located(javascriptError, options.filename);
    throw error;
  }
}
