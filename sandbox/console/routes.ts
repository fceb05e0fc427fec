/**
 * The console's HTTP routes (mounted under `/_sandbox`): the view fragments the client morphs in place and
 * the client script. The sandbox registers them with what they read (executions, approvals, ECS, chat).
 */
import { join } from 'node:path';
import { Hono } from 'hono';
import type { ChatMessage } from './chat';
import {
  environmentModel,
  renderEnvironment,
  type ExecutionRecord,
  type RunningService,
} from './environment';
import { doraRoutes, type DoraSource } from './dora-routes';
import { renderExecution } from './execution';
import type { AslScope } from './asl';
import type { HistoryEvent } from './trace';
import { renderOverview, renderShell, type OverviewModel, type PendingApproval } from './pages';
import type { PendingPause } from './pending-pauses';
import { renderRollouts, type RolloutView } from './rollouts';
import { renderAlarms, type AlarmState } from './alarms';

/** What the console routes read. */
export interface ConsoleSources {
  definition: AslScope;
  environments: string[];
  /** Every configured service. */
  services?: string[];
  executions(): (ExecutionRecord & { error?: string; cause?: string; output?: string })[];
  execution(arn: string): (ExecutionRecord & { error?: string; cause?: string; output?: string }) | undefined;
  pendingApprovals(): Promise<PendingApproval[]>;
  pendingPauses(): Promise<PendingPause[]>;
  runningServices(): RunningService[];
  /** The overview model without chat paging (the sandbox builds it). */
  overview(): Promise<OverviewModel>;
  chat(): ChatMessage[];
  /** Shipgate's alarms on itself (the alarms area). */
  alarms?(): AlarmState[];
  gitlabUrl?: string;
  /** Service deployments in progress (the live rollout view), of one environment and/or some services. */
  rollouts?(filter: { environment?: string; services?: string[] }): RolloutView[];
  info: { stateDir: string; awsEndpoint: string; publicUrl: string };
  /** `GET /api/metrics/dora` for the DORA page. */
  dora: DoraSource['dora'];
}

let clientBundle: Promise<string> | undefined;

/** The browser script: sandbox/console/client.ts bundled with morphdom (from node_modules) by esbuild, once. */
export function consoleScript(): Promise<string> {
  clientBundle ??= (async () => {
    // Loaded lazily: only the console needs esbuild, and only once.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as typeof import('esbuild');
    const out = await esbuild.build({
      entryPoints: [join(__dirname, 'client.ts')],
      bundle: true,
      format: 'iife',
      target: 'es2020',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    return out.outputFiles[0].text;
  })();
  clientBundle.catch(() => (clientBundle = undefined));
  return clientBundle;
}

/** Renders the fragment of the overview (chat page from the `chat` query). */
async function overviewFragment(s: ConsoleSources, chatPage: number): Promise<string> {
  const m = await s.overview();
  return renderOverview({ ...m, chat: s.chat(), chatPage });
}

/** The console routes, to mount under `/_sandbox`, and the shell for `/`. */
export function consoleRoutes(s: ConsoleSources): { routes: Hono; shell: Hono } {
  const routes = new Hono();
  routes.get('/assets/console.js', async (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('cache-control', 'no-cache');
    return c.body(await consoleScript());
  });
  routes.get('/ui/overview', async (c) =>
    c.html(await overviewFragment(s, Number(c.req.query('chat') ?? '1'))),
  );
  routes.get('/ui/execution', async (c) => {
    const arn = c.req.query('arn') ?? '';
    const e = s.execution(arn);
    if (!e) return c.html('<section><p class="error">No such execution.</p></section>', 404);
    const expanded = (c.req.query('expand') ?? '').split(',').filter((n) => s.definition.States[n]);
    const selected = c.req.query('state') || undefined;
    let services: string[] = [];
    try {
      services = (JSON.parse(e.input) as { release?: { services?: string[] } }).release?.services ?? [];
    } catch {
      // no readable input: no services to watch
    }
    const live =
      e.status === 'RUNNING' && s.rollouts ? renderRollouts(s.rollouts({ services }), 'Live rollout') : '';
    return c.html(
      (await renderExecution({
        ...e,
        history: e.history as HistoryEvent[],
        definition: s.definition,
        approvals: (await s.pendingApprovals()).filter((a) => a.executionArn === arn),
        pauses: (await s.pendingPauses()).filter((p) => p.executionArn === arn),
        selected,
        expanded,
        showCatch: c.req.query('catch') === '1',
      })) + live,
    );
  });
  routes.get('/ui/environment', (c) => {
    const name = c.req.query('name') ?? '';
    if (!s.environments.includes(name)) {
      return c.html(
        `<section><p class="error">No environment named that. Environments: ${s.environments.join(', ')}.</p></section>`,
        404,
      );
    }
    const live = s.rollouts ? renderRollouts(s.rollouts({ environment: name }), 'Live rollouts') : '';
    return c.html(
      renderEnvironment(
        environmentModel({
          name,
          environments: s.environments,
          definition: s.definition,
          executions: s.executions(),
          running: s.runningServices(),
          gitlabUrl: s.gitlabUrl,
        }),
      ) + live,
    );
  });
  routes.get('/ui/alarms', (c) => c.html(renderAlarms(s.alarms?.() ?? [])));
  routes.route('/', doraRoutes(s));
  const shell = new Hono();
  shell.get('/', async (c) => c.html(renderShell(await overviewFragment(s, 1), s.info, s.environments)));
  return { routes, shell };
}
