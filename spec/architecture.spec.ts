/**
 * The import graph of the package's source (lib/, operators/, readers/) keeps one direction, as STYLE.md asks:
 * cli → server → engine → builder/operators/readers → cluster → store, with errors and the logger below
 * everything. Two checks, both over `import … from` and `export … from` (type-only imports count too: a type
 * cycle is still two files that cannot be understood apart):
 * - no file imports, directly or through others, itself;
 * - no file imports a file of a higher layer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * Layers from the bottom; a file may import its own layer or lower ones. Folders of lib/, single files, or a
 * folder inside one (the server's protocol → rg → session → Server.ts); a file takes its longest listed prefix.
 */
const LAYERS: Record<string, number> = {
  'lib/errors.ts': 0,
  'lib/logger.ts': 0,
  'lib/rx': 0,
  'lib/store': 1,
  'lib/cluster': 2,
  readers: 3,
  operators: 3,
  'lib/builder': 3,
  'lib/engine': 4,
  'lib/Gears.ts': 5,
  'lib/worker': 6,
  'lib/metrics': 6,
  'lib/connect.ts': 7,
  'lib/testing': 7,
  'lib/server/protocol': 7,
  'lib/server/rg': 8,
  'lib/server/session': 9,
  'lib/server': 10,
  'lib/http': 11,
  'lib/cli': 12,
  'lib/index.ts': 12,
};

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push(path);
    }
  };
  for (const dir of ['lib', 'operators', 'readers']) walk(dir);
  return files;
}

const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s+'(\.[^']+)'/gms;

/** file → the files it imports (relative imports only: packages are outside the graph). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles()) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[1]!)));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

function layerOf(file: string): number {
  const parts = file.split('/');
  const key = parts.map((_, i) => parts.slice(0, parts.length - i).join('/')).find((prefix) => prefix in LAYERS);
  const layer = key === undefined ? undefined : LAYERS[key];
  if (layer === undefined) throw new Error(`${file}: no layer (add its folder or itself to LAYERS)`);
  return layer;
}

/** Strongly connected components of more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the import graph', () => {
  const graph = importGraph();

  it('reads the whole source tree and resolves every relative import to a file in it', () => {
    expect(graph.size).toBeGreaterThan(150);
    const dangling = [...graph].flatMap(([from, targets]) =>
      targets.filter((t) => t.startsWith('lib/') && !graph.has(t)).map((t) => `${from} -> ${t}`),
    );
    expect(dangling).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    const sample = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(sample)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('imports only downwards: cli → server → engine → builder/operators/readers → cluster → store', () => {
    const upward = [...graph].flatMap(([from, targets]) =>
      targets.filter((to) => graph.has(to) && layerOf(to) > layerOf(from)).map((to) => `${from} -> ${to}`),
    );
    expect(upward).toEqual([]);
  });
});
