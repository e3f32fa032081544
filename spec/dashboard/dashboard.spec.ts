import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { serve, type RxgearsServer } from '../../lib/server/index.ts';
import { serveHttp, type HttpServer } from '../../lib/http/index.ts';
import { redisCli } from '../lib/server/helpers.ts';

/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, driven by puppeteer-core; no browser is
 * downloaded). .ci/run installs it; without it this spec fails and says how to get it.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The little of the page's DOM the functions run inside Chromium use (this project compiles without lib.dom). */
declare const document: { querySelector(selector: string): { textContent: string | null } | null };

describe('the dashboard in Chromium', () => {
  let browser: Browser;
  let server: RxgearsServer;
  let http: HttpServer;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH; the dashboard spec needs a real browser`,
      );
    }
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in a container: Chromium's sandbox needs namespaces it does not get there.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    server = await serve({ shards: 3, port: 0 });
    http = await serveHttp(server.gears, { port: 0 });
    page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    page.on('dialog', (dialog) => void dialog.accept());
  });

  afterAll(async () => {
    await browser?.close();
    await http?.close();
    await server?.close();
  });

  /**
   * The text of the first element matching `selector`, once it matches `expected` (a RegExp crosses into the
   * page as its source: the page's CSP forbids eval, so a predicate function could not).
   */
  async function waitForText(selector: string, expected: string | RegExp): Promise<string> {
    const pattern =
      typeof expected === 'string' ? `^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : expected.source;
    const handle = await page.waitForFunction(
      (sel: string, source: string) => {
        const text = document.querySelector(sel)?.textContent ?? null;
        return text !== null && new RegExp(source).test(text) ? text : null;
      },
      { timeout: 15_000 },
      selector,
      pattern,
    );
    return (await handle.jsonValue()) as string;
  }

  it('shows a registration counting events as they come, pauses it with its button, draws and drops an execution', async () => {
    const gear = "GB().map(r => r.value.name).register({ prefix: 'person:*', desc: 'names' })";
    expect(await redisCli(server.port, ['RG.JSEXECUTE', gear])).toEqual(['OK']);
    const [registration] = server.gears.dumpRegistrations();

    await page.goto(`http://127.0.0.1:${http.port}/`);
    const row = `tr[data-registration="${registration!.id}"]`;
    expect(await waitForText(`${row} .status`, 'OK')).toBe('OK');

    for (const n of [1, 2, 3]) {
      await redisCli(server.port, ['HSET', `person:${n}`, 'name', `Person ${n}`, 'age', String(20 + n)]);
    }
    expect(await waitForText(`${row} .triggered`, '3')).toBe('3');
    expect(await waitForText(`${row} .success`, '3')).toBe('3');

    await page.click(`${row} button[data-action="pause"]`);
    expect(await waitForText(`${row} .status`, 'PAUSED')).toBe('PAUSED');
    expect(server.gears.dumpRegistrations()[0]!.status).toBe('PAUSED');

    await page.click(`${row} button[data-action="unpause"]`);
    expect(await waitForText(`${row} .status`, 'OK')).toBe('OK');
    await redisCli(server.port, ['HSET', 'person:4', 'name', 'Person 4']);
    expect(await waitForText(`${row} .triggered`, '4')).toBe('4');

    const clicked = await page.$eval('#executions tbody tr[data-execution]', (row) =>
      row.getAttribute('data-execution'),
    );
    await page.click(`#executions tbody tr[data-execution="${clicked}"]`);
    const counts = await waitForText('#plan .node[data-step="0"] .counts', '1 → 1');
    expect(counts).toBe('1 → 1');
    expect(await waitForText('#plan .node.reader .op', /./)).toBe('KeysReader');
    expect(await waitForText('#results li', /^Person/)).toMatch(/^Person \d$/);
    expect(await waitForText('#stat-registrations', '1')).toBe('1');

    await page.click('#detail-drop');
    await page.waitForFunction(
      (id: string) => document.querySelector(`#executions tr[data-execution="${id}"]`) === null,
      { timeout: 15_000 },
      clicked!,
    );
    expect(server.gears.dumpExecutions().map((e) => e.executionId)).not.toContain(clicked);
  });

  it('asks for the password when the server has one, then shows the data', async () => {
    const guarded = await serveHttp(server.gears, { port: 0, requirePass: 'pa55' });
    const other = await browser.newPage();
    try {
      await other.goto(`http://127.0.0.1:${guarded.port}/`);
      await other.waitForSelector('#login:not([hidden])', { timeout: 15_000 });
      await other.type('#password', 'wrong');
      await other.click('#login-form button');
      await other.waitForFunction(() => document.querySelector('#login-error')?.textContent === 'wrong password', {
        timeout: 15_000,
      });
      await other.$eval('#password', (input) => ((input as unknown as { value: string }).value = ''));
      await other.type('#password', 'pa55');
      await other.click('#login-form button');
      await other.waitForSelector('#login[hidden]', { timeout: 15_000 });
      const triggered = await other.waitForFunction(
        () => document.querySelector('#registrations tbody tr .triggered')?.textContent ?? null,
        { timeout: 15_000 },
      );
      expect(await triggered.jsonValue()).toBe('4');
    } finally {
      await other.close();
      await guarded.close();
    }
  });
});
