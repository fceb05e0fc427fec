import { Hono } from 'hono';
import { ofEnvironment } from './seed-accounts';
import type { ShipgateConfig } from '../lambdas/shared/config';
import type { EventBridgeEvent } from './aws/ecs';
import type { Emulators } from './aws/emulators';
import { receiveChatMessage, type ChatInbox } from './console/inbox';
import { overview } from './console/overview';
import type { PendingApproval, RunningService } from './console/pages';
import type { PendingPause } from './console/pending-pauses';
import { consoleRoutes } from './console/routes';
import { SANDBOX_TABLE } from './handlers/environment';
import { sandboxVerifyHookArns } from './handlers/functions';
import { rolloutTargets } from './console/running-services';
import { rolloutViews } from './console/rollouts';
import { shipgateAlarmStates } from './console/alarms';
import { serviceEndpoints } from './service-endpoints';
import type { LocalWorkflow } from './workflow/release';
import type { Fault, FaultSwitch } from './workflow/faults';
import { usageMeter } from './meter';

/** What the sandbox's own routes read. */
export interface SandboxRouteSources {
  config: ShipgateConfig;
  workflow: LocalWorkflow;
  emulators: Emulators;
  chat: ChatInbox;
  /** `SHIPGATE_CHAT_WEBHOOK_URL`: chat messages are also POSTed there. */
  forwardChatTo: string | undefined;
  recentEvents: EventBridgeEvent[];
  pendingApprovals: () => Promise<PendingApproval[]>;
  /** Rollouts held at an ECS PAUSE hook, waiting for people. */
  pendingPauses: () => Promise<PendingPause[]>;
  runningServices: () => RunningService[];
  httpApi: (req: Request) => Promise<Response>;
  url: string;
  awsEndpoint: string;
  publicUrl: string;
  stateDir: string;
  stateMachineArn: string;
  /** The test-only fault switch (`POST /_sandbox/faults`). */
  faults?: FaultSwitch;
  /** Runs the reconciler once now (`POST /_sandbox/reconcile`), answering its result. */
  reconcile?: () => Promise<unknown>;
  /** Rolls out a new build (`POST /_sandbox/upgrade`, sandbox/upgrade.ts). */
  upgrade?: () => Promise<unknown>;
  /** Evaluates Shipgate's alarms now (`POST /_sandbox/alarms/evaluate`), as the next minute would. */
  evaluateAlarms?: () => void;
  /** How long a configured minute of a rollout lasts (SHIPGATE_SANDBOX_PHASE_MS). */
  phaseMs: number;
}

/**
 * The app port's routes besides the HTTP API: `/_sandbox/*` (the chat webhook, JSON for scripts, the
 * console's data, the emulated service endpoints) as `sandbox`, and the console's page as `shell`.
 */
export function sandboxRoutes(s: SandboxRouteSources): { sandbox: Hono; shell: Hono } {
  const { url, awsEndpoint, publicUrl, stateDir, stateMachineArn, chat, emulators } = s;
  const info = { stateDir, awsEndpoint, publicUrl };
  const routes = new Hono();
  routes.post('/chat', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'expected a JSON chat message (Slack incoming-webhook format)' }, 400);
    }
    receiveChatMessage(chat, body, s.forwardChatTo);
    return c.text('ok');
  });
  routes.get('/faults', (c) => c.json({ faults: s.faults?.list() ?? [] }));
  routes.post('/faults', async (c) => {
    if (!s.faults) return c.json({ error: 'no fault switch in this sandbox' }, 404);
    try {
      return c.json({ armed: s.faults.arm((await c.req.json()) as Fault) }, 201);
    } catch (err) {
      return c.json({ error: `expected { function, times (1-10), match? }: ${(err as Error).message}` }, 400);
    }
  });
  routes.post('/reconcile', async (c) => {
    if (!s.reconcile) return c.json({ error: 'no reconciler in this sandbox' }, 404);
    return c.json((await s.reconcile()) as object);
  });
  // Rebuilds and publishes the working tree's code; running executions keep theirs (issue 31).
  routes.post('/upgrade', async (c) => {
    if (!s.upgrade) return c.json({ error: 'no upgrades in this sandbox' }, 404);
    try {
      return c.json((await s.upgrade()) as object);
    } catch (err) {
      return c.json({ error: `the upgrade failed and changed nothing: ${(err as Error).message}` }, 500);
    }
  });
  routes.post('/alarms/evaluate', (c) => {
    if (!s.evaluateAlarms) return c.json({ error: 'no alarms in this sandbox' }, 404);
    s.evaluateAlarms();
    return c.json({ alarms: shipgateAlarmStates(emulators) });
  });
  routes.get('/api/alarms', (c) => c.json({ alarms: shipgateAlarmStates(emulators) }));
  routes.get('/api/approvals', async (c) => c.json({ approvals: await s.pendingApprovals() }));
  routes.get('/api/pauses', async (c) => c.json({ pauses: await s.pendingPauses() }));
  routes.get('/api/environments', (c) => c.json({ environments: s.runningServices() }));
  routes.get('/api/chat', (c) => c.json({ messages: chat.data.messages }));
  routes.get('/api/events', (c) => c.json({ events: s.recentEvents }));
  // What the sandbox served, counted as AWS bills it (sandbox/meter.ts): the bench prices a release with it.
  routes.get('/api/meter', (c) => c.json(usageMeter.snapshot()));
  routes.get('/api/info', (c) =>
    c.json({ url, awsEndpoint, publicUrl, stateDir, stateMachineArn, table: SANDBOX_TABLE }),
  );
  const consoleUi = consoleRoutes({
    definition: s.workflow.definition,
    environments: s.config.environments.map((e) => e.name),
    services: Object.keys(s.config.services),
    // The release state machine's executions (manual rollbacks run in their own state machine).
    executions: () => emulators.sfn.executions(stateMachineArn),
    execution: (arn) => emulators.sfn.execution(arn),
    pendingApprovals: s.pendingApprovals,
    pendingPauses: s.pendingPauses,
    runningServices: s.runningServices,
    overview: () => overview({ ...s, sfn: emulators.sfn, stateMachineArn }),
    chat: () => chat.data.messages,
    alarms: () => shipgateAlarmStates(emulators),
    gitlabUrl: s.config.gitlab.url,
    rollouts: (filter) =>
      rolloutViews(
        (environment) => ofEnvironment(s.config, emulators, environment).ecs.operations,
        rolloutTargets(s.config, emulators, filter),
        s.phaseMs,
        Date.now(),
        // The verify hooks' ARNs the functions get as SHIPGATE_VERIFY_HOOK_ARNS (handlers/environment.ts).
        sandboxVerifyHookArns(s.config.environments.map((e) => e.name)),
      ),
    info,
    // The DORA page shows what GET /api/metrics/dora serves: the same route, through the emulated HTTP API.
    dora: async (query) => {
      const res = await s.httpApi(new Request(`${url}/api/metrics/dora?${query}`));
      return { status: res.status, body: await res.json().catch(() => undefined) };
    },
  });
  routes.route('/', consoleUi.routes);
  const serviceEndpoint = serviceEndpoints(s.config, emulators, s.runningServices);
  // Emulated service endpoints for smoke checks: 200 unless the running image is annotated unhealthy.
  routes.all('/services/:env/:service/*', (c) =>
    serviceEndpoint(c.req.param('env'), c.req.param('service'), c.req.path),
  );
  routes.all('/services/:env/:service', (c) =>
    serviceEndpoint(c.req.param('env'), c.req.param('service'), c.req.path),
  );
  // The test listener of blue/green-family services: the target revision once ECS moved test traffic.
  routes.all('/test-traffic/:env/:service/*', (c) =>
    serviceEndpoint(c.req.param('env'), c.req.param('service'), c.req.path, true),
  );
  return { sandbox: routes, shell: consoleUi.shell };
}
