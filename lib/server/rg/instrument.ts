import { parse, type Node } from 'acorn';

/**
 * Budget checks inserted into a gear script's source before it is compiled: the statement
 * `if(--G.n<0)G.check();` at the start of every loop body and every function body (an arrow with an
 * expression body gets the same check as a comma expression), where `G` is the script's guard (guard.ts).
 * A loop back-edge and a call are the only ways JavaScript code runs on without end, so a callback that loops
 * or recurses forever reaches a check, however it is written. The counter keeps the common path to a
 * decrement and a compare; `check()` reads the clock and the heap only when it runs out.
 *
 * Only text is inserted, never a line break, so line numbers in stack traces stay the source's own (columns on
 * a line with a loop or a function shift by the inserted text).
 */

interface Insertion {
  pos: number;
  text: string;
  /** Closings go before openings at one position; among openings the outer first, among closings the inner. */
  closing: boolean;
  order: number;
}

type AnyNode = Node & Record<string, unknown>;

const LOOPS = new Set(['ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement']);
const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);

/** A global name for the guard that `source` does not mention anywhere, so no binding of the script shadows it. */
export function guardName(source: string): string {
  let name = '__rxgearsGuard';
  for (let i = 1; source.includes(name); i++) name = `__rxgearsGuard${i}`;
  return name;
}

/**
 * `source` (a script, not a module) with a budget check of the guard `guard` at every loop body and function
 * entry. Throws acorn's `SyntaxError` when the source does not parse.
 *
 * @example
 * instrument('while (true) {}', 'G') // 'while (true) {if(--G.n<0)G.check();}'
 */
export function instrument(source: string, guard: string): string {
  const ast = parse(source, {
    ecmaVersion: 'latest',
    sourceType: 'script',
    allowHashBang: true,
    allowReturnOutsideFunction: false,
  }) as unknown as AnyNode;
  const statement = `if(--${guard}.n<0)${guard}.check();`;
  const insertions: Insertion[] = [];
  let order = 0;
  const add = (pos: number, text: string, closing = false): void => {
    insertions.push({ pos, text, closing, order: order++ });
  };
  /** A check at the start of `body`: inside it when it is a block, else `body` becomes `{check; body}`. */
  const guardStatement = (body: AnyNode): void => {
    if (body.type === 'BlockStatement') add(body.start + 1, statement);
    else {
      add(body.start, `{${statement}`);
      add(body.end, '}', true);
    }
  };
  const guardFunction = (fn: AnyNode): void => {
    const body = fn.body as AnyNode;
    if (body.type !== 'BlockStatement') {
      add(body.start, `(--${guard}.n<0&&${guard}.check(),`);
      add(body.end, ')', true);
      return;
    }
    // After the directive prologue: a check before 'use strict' would turn it into a plain expression.
    const statements = body.body as AnyNode[];
    let directives = 0;
    while (directives < statements.length && typeof statements[directives]!.directive === 'string') directives++;
    if (directives === 0) add(body.start + 1, statement);
    else add(statements[directives - 1]!.end, `;${statement}`);
  };
  const visit = (node: AnyNode): void => {
    if (FUNCTIONS.has(node.type)) guardFunction(node);
    else if (LOOPS.has(node.type)) guardStatement(node.body as AnyNode);
    for (const key of Object.keys(node)) {
      const value = node[key];
      if (Array.isArray(value)) {
        for (const child of value) if (isNode(child)) visit(child);
      } else if (isNode(value)) visit(value);
    }
  };
  visit(ast);
  return apply(source, insertions);
}

function isNode(value: unknown): value is AnyNode {
  return value !== null && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string';
}

function apply(source: string, insertions: Insertion[]): string {
  insertions.sort((a, b) => {
    if (a.pos !== b.pos) return a.pos - b.pos;
    if (a.closing !== b.closing) return a.closing ? -1 : 1;
    return a.closing ? b.order - a.order : a.order - b.order;
  });
  const parts: string[] = [];
  let at = 0;
  for (const { pos, text } of insertions) {
    parts.push(source.slice(at, pos), text);
    at = pos;
  }
  parts.push(source.slice(at));
  return parts.join('');
}
