/**
 * The live rollout view (after the Argo Rollouts dashboard): for each ECS service deployment in progress, the
 * lifecycle stage, the traffic on each revision, the bake time left, every lifecycle hook that ran or runs
 * (Shipgate's verify hook, the contract's own Lambda hooks, PAUSE hooks: stage, status, a pause's deadline) and
 * the alarms ECS watches. Read through the ECS API as Shipgate reads it in AWS (`ListServiceDeployments`, then
 * `DescribeServiceDeployments`), and redrawn in place with the page every two seconds.
 */
import { HOOK_LIFECYCLE_STAGES } from '../../lambdas/shared/contract';
import { badge, esc } from './format';

/** One revision and its share of traffic (percent). */
export interface RevisionTraffic {
  arn: string;
  production: number;
  test: number;
  running: number;
}

/** What the view shows of one service deployment. */
export interface RolloutView {
  environment: string;
  service: string;
  serviceDeploymentArn: string;
  status: string;
  stage: string;
  target: RevisionTraffic;
  source?: RevisionTraffic;
  /** Bake time left in ms (BAKE_TIME, or a canary / linear step's bake), when baking. */
  bakeLeftMs?: number;
  /** What bakes: "bake time", "canary at 10 %"… */
  baking?: string;
  hooks: HookView[];
  alarms: { status: string; names: string[]; triggered: string[] };
}

/**
 * One lifecycle hook of the deployment (`lifecycleHookDetails`). `kind`: Shipgate's verify hook (its function
 * ARN is the environment's in `SHIPGATE_VERIFY_HOOK_ARNS`), a Lambda hook of the service's contract, or a
 * PAUSE. `stage`: ECS's hook detail names no stage, so it is read from `deploymentConfiguration.lifecycleHooks`
 * (see {@link hookStages}); undefined when the configuration does not tell.
 */
export interface HookView {
  hookId: string;
  kind: 'verify' | 'lambda' | 'pause';
  targetArn?: string;
  stage?: string;
  status: string;
  /** A pause's deadline (epoch seconds): ECS takes the timeout action then. */
  expiresAt?: number;
  timeoutAction?: string;
}

/** The ECS API calls the view makes (the emulator's operations in the sandbox). */
export interface EcsReader {
  ListServiceDeployments(input: Record<string, unknown>): unknown;
  DescribeServiceDeployments(input: Record<string, unknown>): unknown;
}

interface Described {
  serviceDeploymentArn: string;
  status: string;
  lifecycleStage?: string;
  updatedAt?: number | Date;
  sourceServiceRevisions?: {
    arn: string;
    requestedProductionTrafficWeight?: number;
    requestedTestTrafficWeight?: number;
    runningTaskCount?: number;
  }[];
  targetServiceRevision?: {
    arn: string;
    requestedProductionTrafficWeight?: number;
    requestedTestTrafficWeight?: number;
    runningTaskCount?: number;
  };
  lifecycleHookDetails?: HookDetail[];
  deploymentConfiguration?: {
    lifecycleHooks?: { targetType?: string; hookTargetArn?: string; lifecycleStages?: string[] }[];
    strategy?: string;
    bakeTimeInMinutes?: number;
    canaryConfiguration?: { canaryPercent?: number; canaryBakeTimeInMinutes?: number };
    linearConfiguration?: { stepPercent?: number; stepBakeTimeInMinutes?: number };
  };
  alarms?: { status?: string; alarmNames?: string[]; triggeredAlarmNames?: string[] };
}

interface HookDetail {
  hookId: string;
  targetType?: string;
  targetArn?: string;
  status: string;
  expiresAt?: number | Date;
  timeoutAction?: string;
}

const seconds = (t: number | Date | undefined) =>
  t === undefined ? undefined : t instanceof Date ? t.getTime() / 1000 : t;

const stageOrder = (stage: string) => {
  const i = (HOOK_LIFECYCLE_STAGES as readonly string[]).indexOf(stage);
  return i < 0 ? HOOK_LIFECYCLE_STAGES.length : i;
};
const hookKey = (targetType: string | undefined, arn: string | undefined) =>
  (targetType ?? 'AWS_LAMBDA') === 'PAUSE' ? 'PAUSE' : `AWS_LAMBDA ${arn ?? ''}`;

/**
 * The stage of each hook detail, by hookId. A detail (DeploymentLifecycleHookDetail) carries no stage, but
 * ECS runs a deployment's hooks stage after stage and lists the details oldest first: the n-th detail of one
 * target (a Lambda function ARN, or PAUSE) ran at the n-th stage, in lifecycle order, that the configured
 * hooks of that target name. Failing that (a configuration that does not name enough stages), a hook that
 * still runs runs at the deployment's current stage.
 */
export function hookStages(d: {
  lifecycleStage?: string;
  lifecycleHookDetails?: HookDetail[];
  deploymentConfiguration?: Described['deploymentConfiguration'];
}): Map<string, string | undefined> {
  const stagesOf = new Map<string, string[]>();
  for (const h of d.deploymentConfiguration?.lifecycleHooks ?? []) {
    const key = hookKey(h.targetType, h.hookTargetArn);
    stagesOf.set(key, [...(stagesOf.get(key) ?? []), ...(h.lifecycleStages ?? [])]);
  }
  for (const list of stagesOf.values()) list.sort((a, b) => stageOrder(a) - stageOrder(b));
  const seen = new Map<string, number>();
  const out = new Map<string, string | undefined>();
  for (const h of d.lifecycleHookDetails ?? []) {
    const key = hookKey(h.targetType, h.targetArn);
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    const running = h.status === 'IN_PROGRESS' || h.status === 'AWAITING_ACTION';
    out.set(h.hookId, stagesOf.get(key)?.[n] ?? (running ? d.lifecycleStage : undefined));
  }
  return out;
}

/**
 * The service deployments in progress of the given (environment, service, cluster, ECS service) pairs.
 * `minuteMs` is how long a configured minute lasts (60000 in AWS; SHIPGATE_SANDBOX_PHASE_MS in the sandbox).
 */
export function rolloutViews(
  /** ECS, or ECS of each environment (its own account's). */
  ecsOf: EcsReader | ((environment: string) => EcsReader),
  targets: { environment: string; service: string; cluster: string; ecsService: string }[],
  minuteMs: number,
  now = Date.now(),
  verifyHookArns: Record<string, string> = {},
): RolloutView[] {
  const out: RolloutView[] = [];
  for (const t of targets) {
    const ecs = typeof ecsOf === 'function' ? ecsOf(t.environment) : ecsOf;
    let arns: string[];
    try {
      const listed = ecs.ListServiceDeployments({
        cluster: t.cluster,
        service: t.ecsService,
        status: ['PENDING', 'IN_PROGRESS', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS'],
      }) as { serviceDeployments?: { serviceDeploymentArn: string }[] };
      arns = (listed.serviceDeployments ?? []).map((d) => d.serviceDeploymentArn);
    } catch {
      continue; // no such service (not seeded): nothing rolls out there
    }
    if (!arns.length) continue;
    const described = ecs.DescribeServiceDeployments({ serviceDeploymentArns: arns }) as {
      serviceDeployments?: Described[];
    };
    for (const d of described.serviceDeployments ?? [])
      out.push(view(t, d, minuteMs, now, verifyHookArns[t.environment]));
  }
  return out;
}

function view(
  t: { environment: string; service: string },
  d: Described,
  minuteMs: number,
  now: number,
  verifyHookArn: string | undefined,
): RolloutView {
  const target = d.targetServiceRevision;
  const source = d.sourceServiceRevisions?.[0];
  const cfg = d.deploymentConfiguration ?? {};
  const weight = target?.requestedProductionTrafficWeight ?? 0;
  let bakeMinutes: number | undefined;
  let baking: string | undefined;
  if (d.status === 'IN_PROGRESS' && d.lifecycleStage === 'BAKE_TIME') {
    bakeMinutes = cfg.bakeTimeInMinutes;
    baking = 'bake time';
  } else if (
    d.status === 'IN_PROGRESS' &&
    d.lifecycleStage === 'PRODUCTION_TRAFFIC_SHIFT' &&
    weight > 0 &&
    weight < 100
  ) {
    if (cfg.strategy === 'CANARY') {
      bakeMinutes = cfg.canaryConfiguration?.canaryBakeTimeInMinutes;
      baking = `canary at ${weight} %`;
    } else if (cfg.strategy === 'LINEAR') {
      bakeMinutes = cfg.linearConfiguration?.stepBakeTimeInMinutes;
      baking = `step at ${weight} %`;
    }
  }
  const since = (seconds(d.updatedAt) ?? now / 1000) * 1000;
  return {
    environment: t.environment,
    service: t.service,
    serviceDeploymentArn: d.serviceDeploymentArn,
    status: d.status,
    stage: d.lifecycleStage ?? '',
    target: {
      arn: target?.arn ?? '',
      production: weight,
      test: target?.requestedTestTrafficWeight ?? 0,
      running: target?.runningTaskCount ?? 0,
    },
    ...(source
      ? {
          source: {
            arn: source.arn,
            production: source.requestedProductionTrafficWeight ?? 0,
            test: source.requestedTestTrafficWeight ?? 0,
            running: source.runningTaskCount ?? 0,
          },
        }
      : {}),
    ...(bakeMinutes !== undefined
      ? { bakeLeftMs: Math.max(0, since + bakeMinutes * minuteMs - now), baking }
      : {}),
    hooks: hooks(d, verifyHookArn),
    alarms: {
      status: d.alarms?.status ?? 'DISABLED',
      names: d.alarms?.alarmNames ?? [],
      triggered: d.alarms?.triggeredAlarmNames ?? [],
    },
  };
}

function hooks(d: Described, verifyHookArn: string | undefined): HookView[] {
  const stages = hookStages(d);
  return (d.lifecycleHookDetails ?? []).map((h) => {
    const pause = h.targetType === 'PAUSE';
    const stage = stages.get(h.hookId);
    const expiresAt = pause ? seconds(h.expiresAt) : undefined;
    return {
      hookId: h.hookId,
      kind: pause ? 'pause' : verifyHookArn && h.targetArn === verifyHookArn ? 'verify' : 'lambda',
      ...(h.targetArn ? { targetArn: h.targetArn } : {}),
      ...(stage ? { stage } : {}),
      status: h.status,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      ...(pause && h.timeoutAction ? { timeoutAction: h.timeoutAction } : {}),
    };
  });
}

const revision = (arn: string) => arn.split('/').pop() ?? arn;

function split(v: RolloutView): string {
  const t = v.target.production;
  return `<div class="split" role="img" aria-label="Production traffic: ${t} % on the new revision, ${100 - t} % on the old"><span class="new" style="width:${t}%"></span><span class="old" style="width:${100 - t}%"></span></div>`;
}

const HOOK_KIND = { verify: 'Shipgate verify hook', lambda: 'contract hook', pause: 'pause' } as const;
const words = (stage: string) => stage.toLowerCase().replace(/_/g, ' ');

/** One hook: what it is (a contract hook names its function), its stage, its status, a pause's deadline. */
function renderHook(h: HookView): string {
  const fn =
    h.kind === 'lambda' && h.targetArn ? ` <code>${esc(h.targetArn.split(':').pop() ?? '')}</code>` : '';
  const stage = h.stage ? ` <span class="muted">at ${esc(words(h.stage))}</span>` : '';
  const deadline =
    h.expiresAt !== undefined
      ? ` <span class="deadline" data-expires-at="${h.expiresAt}">${h.status === 'AWAITING_ACTION' ? 'decide by' : 'deadline'} ${esc(new Date(h.expiresAt * 1000).toISOString().slice(11, 19))} UTC${h.timeoutAction ? `, then ${esc(h.timeoutAction.toLowerCase())}` : ''}</span>`
      : '';
  return `<li class="hook" data-hook-kind="${h.kind}" data-status="${esc(h.status)}"${h.stage ? ` data-stage="${esc(h.stage)}"` : ''}${h.targetArn ? ` title="${esc(h.targetArn)}"` : ''}>${HOOK_KIND[h.kind]}${fn}${stage} ${badge(h.status)}${deadline}</li>`;
}

/** The rollouts section (empty text when none is in progress). */
export function renderRollouts(views: RolloutView[], title = 'Rollouts in progress'): string {
  if (!views.length)
    return `<section class="rollouts"><h3>${esc(title)}</h3><p class="empty">No rollout in progress.</p></section>`;
  return `<section class="rollouts"><h3>${esc(title)}</h3>${views
    .map((v) => {
      const bake =
        v.bakeLeftMs !== undefined
          ? `<span class="bake" data-bake-left-ms="${Math.round(v.bakeLeftMs)}">${esc(v.baking ?? 'bake')}: ${(v.bakeLeftMs / 1000).toFixed(1)} s left</span>`
          : '<span class="muted">not baking</span>';
      const hooks = v.hooks.length
        ? `<ul class="hooks">${v.hooks.map(renderHook).join('')}</ul>`
        : '<span class="muted">none yet</span>';
      const alarms = v.alarms.names.length
        ? `${badge(v.alarms.status)} ${v.alarms.names.map((n) => `<code${v.alarms.triggered.includes(n) ? ' class="triggered"' : ''}>${esc(n)}</code>`).join(' ')}`
        : `${badge(v.alarms.status)} <span class="muted">no alarms</span>`;
      return `<div class="rollout" data-environment="${esc(v.environment)}" data-service="${esc(v.service)}" data-stage="${esc(v.stage)}" data-production-weight="${v.target.production}" data-test-weight="${v.target.test}">
<div class="rollout-head"><b>${esc(v.service)}</b> → ${esc(v.environment)} ${badge(v.status)} <span class="stage">${esc(v.stage)}</span></div>
${split(v)}
<dl class="rollout-facts"><dt>Production traffic</dt><dd><span class="new-rev">${v.target.production} % new</span> (<code>${esc(revision(v.target.arn))}</code>, ${v.target.running} tasks) · ${v.source ? `${v.source.production} % old (<code>${esc(revision(v.source.arn))}</code>)` : ''}</dd>
<dt>Test traffic</dt><dd>${v.target.test} % new${v.source ? ` · ${v.source.test} % old` : ''}</dd>
<dt>Bake</dt><dd>${bake}</dd><dt>Hooks</dt><dd>${hooks}</dd><dt>Alarms</dt><dd>${alarms}</dd></dl></div>`;
    })
    .join('')}</section>`;
}
