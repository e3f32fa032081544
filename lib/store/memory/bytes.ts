/**
 * A string value's bytes and back, for the commands that work on bytes (the bit family, LCS, DUMP): the one place
 * that knows how the store keeps a string value (a JS string of its UTF-8 text, as strings.ts does).
 */
import type { Keyspace } from './Keyspace.ts';

export function bytesOf(value: string): Buffer {
  return Buffer.from(value, 'utf8');
}

export function stringOf(bytes: Buffer): string {
  return bytes.toString('utf8');
}

/** The string value of `key` as bytes (undefined when missing); WRONGTYPE for another type. */
export function readBytes(ks: Keyspace, key: string): Buffer | undefined {
  const value = ks.get<string>(key, 'string');
  return value === undefined ? undefined : bytesOf(value);
}
