import { GearsError } from '../../errors.ts';

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/**
 * Splits one redis-cli command line into arguments the way redis-cli does (`sdssplitargs`): whitespace
 * separates, `"…"` understands `\n \r \t \b \a \xHH \" \\`, `'…'` only `\'`; a closing quote must be followed by
 * whitespace or the end. An unbalanced quote is a `GearsError`.
 *
 * @example
 * splitCommandLine('HSET person:1 name "Rick Sanchez" age 70') // ['HSET', 'person:1', 'name', 'Rick Sanchez', 'age', '70']
 */
export function splitCommandLine(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && /\s/.test(line[i]!)) i++;
    if (i >= n) break;
    let current = '';
    let quote: '"' | "'" | undefined;
    for (;;) {
      const c = line[i];
      if (quote === '"') {
        if (c === undefined) throw new GearsError(`unbalanced quotes in: ${line}`);
        if (c === '\\' && line[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          current += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
        } else if (c === '\\' && i + 1 < n) {
          const next = line[i + 1]!;
          current += ESCAPES[next] ?? next;
          i += 2;
        } else if (c === '"') {
          if (i + 1 < n && !/\s/.test(line[i + 1]!))
            throw new GearsError(`closing quote must be followed by a space in: ${line}`);
          i++;
          break;
        } else {
          current += c;
          i++;
        }
      } else if (quote === "'") {
        if (c === undefined) throw new GearsError(`unbalanced quotes in: ${line}`);
        if (c === '\\' && line[i + 1] === "'") {
          current += "'";
          i += 2;
        } else if (c === "'") {
          if (i + 1 < n && !/\s/.test(line[i + 1]!))
            throw new GearsError(`closing quote must be followed by a space in: ${line}`);
          i++;
          break;
        } else {
          current += c;
          i++;
        }
      } else {
        if (c === undefined || /\s/.test(c)) break;
        if (c === '"' || c === "'") quote = c;
        else current += c;
        i++;
      }
    }
    args.push(current);
  }
  return args;
}

/** The commands of a redis-cli command file: one per non-empty line, `#` comment lines skipped. */
export function parseCommandFile(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .map(splitCommandLine);
}
