// The dashboard is plain files in dashboard/, not compiled: they must be in the published package and found
// from the compiled dist/ at run time.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../lib/server/helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('the dashboard in the package', { timeout: 60_000 }, () => {
  it('is in what npm publishes', async () => {
    const result = await runProcess('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
    const [packed] = JSON.parse(result.stdout) as { files: { path: string }[] }[];
    const files = packed!.files.map((f) => f.path).filter((path) => path.startsWith('dashboard/'));
    expect(files.sort()).toEqual([
      'dashboard/app.css',
      'dashboard/app.js',
      'dashboard/favicon.svg',
      'dashboard/index.html',
    ]);
  });

  it('is served by the compiled rxgears/http in a plain Node', async () => {
    const result = await runProcess(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
        import { connect } from 'rxgears';
        import { serveHttp } from 'rxgears/http';
        const gears = await connect({ metrics: true });
        const http = await serveHttp(gears, { port: 0 });
        const base = 'http://127.0.0.1:' + http.port;
        const page = await fetch(base + '/');
        const script = await fetch(base + '/app.js');
        const metrics = await (await fetch(base + '/metrics')).text();
        console.log(JSON.stringify([page.status, (await page.text()).includes('<title>rxgears</title>'), script.status, metrics.includes('rxgears_shards 1')]));
        await http.close();
        await gears.close();
        `,
      ],
      { cwd: root },
    );
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual([200, true, 200, true]);
  });
});
