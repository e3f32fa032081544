import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { GearsError } from '../errors.ts';

/** The dashboard's files: plain HTML, JS and CSS in the package's `dashboard/`, served as they are. */
const ASSETS: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/app.css': 'app.css',
  '/favicon.svg': 'favicon.svg',
};

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/**
 * Where `dashboard/` is: beside `lib/` in a checkout (this file runs from lib/http/), or beside `dist/` in the
 * installed package (it runs from dist/lib/http/). Both are tried, so neither needs a copy step.
 */
function dashboardDir(): string {
  for (const up of ['../../dashboard/', '../../../dashboard/']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new GearsError('the dashboard files are missing: dashboard/ should be in the rxgears package');
}

/** A dashboard file by URL path: its bytes and content type, or undefined for a path that is none of them. */
export async function asset(path: string): Promise<{ body: Buffer; type: string } | undefined> {
  const file = ASSETS[path];
  if (file === undefined) return undefined;
  const body = await readFile(`${dashboardDir()}${file}`);
  return { body, type: TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream' };
}
