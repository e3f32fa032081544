import { UsageError } from './args.ts';

/** `--http [ADDR:]PORT`: where `rxgears serve` opens its HTTP port (ADDR defaults to loopback). */
export function httpFlag(value: string | undefined): { host?: string; port: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535 || match[1] === '') {
    throw new UsageError(`serve: --http takes [ADDR:]PORT (e.g. 8080 or 0.0.0.0:8080), got '${value}'`);
  }
  return match[1] === undefined ? { port } : { host: match[1], port };
}
