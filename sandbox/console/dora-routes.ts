/**
 * Routes of the console's DORA page (mounted under `/_sandbox` with the other console routes): the fragment
 * `/ui/dora` and the chart script `/assets/dora.js` (dora-charts.ts with Chart.js from node_modules, bundled
 * by esbuild once; no CDN).
 */
import { join } from 'node:path';
import { Hono } from 'hono';
import type { DoraReport } from '../../lambdas/domain/ledger/dora';
import { renderDora } from './dora';

/** What the DORA page reads. */
export interface DoraSource {
  environments: string[];
  /** Every configured service (the page's service tabs). */
  services?: string[];
  /**
   * Answers `GET /api/metrics/dora?<query>` — the sandbox sends it through its own HTTP API, so the page
   * shows exactly what the API serves.
   */
  dora(query: URLSearchParams): Promise<{ status: number; body: unknown }>;
}

let chartsBundle: Promise<string> | undefined;

/** The browser script of the charts, bundled once. */
export function doraScript(): Promise<string> {
  chartsBundle ??= (async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as typeof import('esbuild');
    const out = await esbuild.build({
      entryPoints: [join(__dirname, 'dora-charts.ts')],
      bundle: true,
      format: 'iife',
      target: 'es2020',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    return out.outputFiles[0].text;
  })();
  chartsBundle.catch(() => (chartsBundle = undefined));
  return chartsBundle;
}

/** `/ui/dora?environment=&window=&service=` and `/assets/dora.js`. */
export function doraRoutes(s: DoraSource): Hono {
  const routes = new Hono();
  routes.get('/assets/dora.js', async (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('cache-control', 'no-cache');
    return c.body(await doraScript());
  });
  routes.get('/ui/dora', async (c) => {
    const environment = c.req.query('environment') || s.environments[s.environments.length - 1];
    const window = c.req.query('window') || '30d';
    const service = c.req.query('service') || undefined;
    const base = { environments: s.environments, services: s.services, environment, window, service };
    if (!s.environments.includes(environment)) {
      return c.html(renderDora({ ...base, error: `No environment "${environment}".` }), 404);
    }
    // The service goes to the API, so every card and chart is that service's (the API's own answer).
    const query = new URLSearchParams({ environment, window, ...(service ? { service } : {}) });
    const answer = await s.dora(query);
    if (answer.status !== 200) {
      const b = answer.body as { message?: string; error?: string } | undefined;
      const why = b?.message ?? b?.error ?? `GET /api/metrics/dora answered ${answer.status}`;
      return c.html(renderDora({ ...base, error: why }), answer.status >= 500 ? 502 : 400);
    }
    return c.html(renderDora({ ...base, report: answer.body as DoraReport }));
  });
  return routes;
}
