import { randomUUID } from 'node:crypto';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { Webhook } from 'standardwebhooks';
import type { ShipgateConfig } from '../../lambdas/shared/config';
import { FAIL_AT_ANNOTATION, ROLLOUT_ANNOTATION } from '../aws/ecr';
import { decideAs } from '../approve-link';
import type { PendingPause } from '../console/pending-pauses';
import { DemoError, demoManifest, demoProjectId, pipelineEvent } from '../demo';
import type { SimulatedClock } from './clock';
import { hasLifecycleStages, hasPauses, type PlannedRelease } from './plan';

/** Where and how the generator reaches the sandbox: the same entry points a person or GitLab uses. */
export interface DriveContext {
  config: ShipgateConfig;
  url: string;
  awsEndpoint: string;
  webhookToken: string;
  signingKey?: string;
  clock: SimulatedClock;
  ecr: ECRClient;
  sfn: SFNClient;
  /** Real ms between polls. */
  pollMs: number;
  /** Give up on one release after this much real time (ms). */
  timeoutMs: number;
}

/** How a driven release ended. */
export interface DrivenRelease {
  plan: PlannedRelease;
  executionArn: string;
  status: string;
  error?: string;
  /** Digest per service of the pushed images. */
  digests: Record<string, string>;
}

const realSleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SDK clients for the sandbox's AWS-compatible endpoint. */
export function sandboxClients(awsEndpoint: string): { ecr: ECRClient; sfn: SFNClient } {
  const config = {
    endpoint: awsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIASHIPGATEHISTORY0', secretAccessKey: 'shipgate-history-not-a-secret' },
    maxAttempts: 2,
  };
  return { ecr: new ECRClient(config), sfn: new SFNClient(config) };
}

/** The sandbox annotations that make a planned fault happen through the emulators. */
function faultAnnotations(ctx: DriveContext, plan: PlannedRelease, service: string): Record<string, string> {
  const envs = ctx.config.environments;
  const last = envs[envs.length - 1].name;
  if (plan.fault === 'staging-unhealthy') return { [ROLLOUT_ANNOTATION]: 'unhealthy' };
  if (plan.fault === 'staging-crash') return { [ROLLOUT_ANNOTATION]: 'fail' };
  if (plan.fault === 'production-crash' && hasLifecycleStages(ctx.config, service, last)) {
    return { [FAIL_AT_ANNOTATION]: `BAKE_TIME@${last}` };
  }
  return {};
}

/** Pushes one image per service of the release to the sandbox's ECR (tag = commit SHA). */
async function pushImages(ctx: DriveContext, plan: PlannedRelease): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const service of plan.services) {
    const put = await ctx.ecr.send(
      new PutImageCommand({
        repositoryName: ctx.config.services[service].repository,
        imageTag: plan.sha,
        imageManifest: demoManifest(service, plan.sha, faultAnnotations(ctx, plan, service)),
      }),
    );
    digests[service] = put.image!.imageId!.imageDigest!;
  }
  return digests;
}

/** Sends GitLab's Pipeline Hook for the planned commit to `/webhooks/gitlab`; returns the execution ARN. */
async function sendWebhook(ctx: DriveContext, plan: PlannedRelease, pipelineId: number): Promise<string> {
  const project = ctx.config.projects.find((p) => p.path === plan.project)!;
  const gitlabUrl = (ctx.config.gitlab.url ?? 'http://gitlab.example.test').replace(/\/$/, '');
  const payload = pipelineEvent({
    projectId: demoProjectId(ctx.config, project),
    path: project.path,
    sha: plan.sha,
    pipelineId,
    title: plan.title,
    gitlabUrl,
  }) as { commit: { timestamp: string } };
  // The head commit was authored before its pipeline ran (GitLab's ISO 8601 with offset).
  payload.commit.timestamp = new Date(plan.commitAt).toISOString().replace(/\.\d+Z$/, '+00:00');
  const body = JSON.stringify(payload);
  const id = randomUUID();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitLab/18.6.1',
    'x-gitlab-event': 'Pipeline Hook',
    'x-gitlab-instance': gitlabUrl,
    'x-gitlab-webhook-uuid': randomUUID(),
    'x-gitlab-event-uuid': randomUUID(),
    'idempotency-key': id,
    'x-gitlab-token': ctx.webhookToken,
  };
  if (ctx.signingKey) {
    const ts = new Date();
    headers['webhook-id'] = id;
    headers['webhook-timestamp'] = String(Math.floor(ts.getTime() / 1000));
    headers['webhook-signature'] = new Webhook(ctx.signingKey).sign(id, ts, body);
  }
  const res = await fetch(`${ctx.url}/webhooks/gitlab`, { method: 'POST', headers, body });
  const answer = (await res.json().catch(() => ({}))) as { executionArn?: string; error?: string };
  if (res.status !== 202 || !answer.executionArn) {
    throw new DemoError(
      `The pipeline webhook for ${plan.project}@${plan.sha.slice(0, 12)} did not start a release (HTTP ${res.status}: ${answer.error ?? JSON.stringify(answer).slice(0, 300)}).`,
    );
  }
  return answer.executionArn;
}

interface PendingApproval {
  executionArn: string;
  environment: string;
  state: string;
  links: { label: string; url: string }[];
  reviewUrl?: string;
  approvers?: { approver: string; name: string; voted: boolean }[];
}

/**
 * Answers the gates of one execution as its approvers would, each after the planned reaction time (a
 * forward jump of the simulated clock while the execution waits for its task token). Returns the environment
 * of the gate it stopped at when `stopAt` names it (a release that will be superseded), else undefined.
 */
async function answerGates(
  ctx: DriveContext,
  plan: PlannedRelease,
  executionArn: string,
  answered: Set<string>,
  stopAt?: string,
): Promise<string | undefined> {
  const res = await fetch(`${ctx.url}/_sandbox/api/approvals`);
  const { approvals } = (await res.json()) as { approvals: PendingApproval[] };
  const envs = ctx.config.environments;
  for (const a of approvals.filter((x) => x.executionArn === executionArn && x.reviewUrl)) {
    if (a.environment === stopAt) return stopAt;
    if (answered.has(a.state)) continue;
    answered.add(a.state);
    const index = Math.max(
      0,
      envs.findIndex((e) => e.name === a.environment),
    );
    ctx.clock.jumpBy(plan.reactionsMs[index] ?? 0);
    const last = index === envs.length - 1;
    if (plan.fault === 'rejected' && last) {
      const first = a.approvers?.[0]?.approver ?? '';
      await decideAs(a.reviewUrl!, first, 'reject', 'Not this week: waiting for the schema migration');
      continue;
    }
    const quorum = envs[index]?.approval.quorum ?? 1;
    let votes = 0;
    for (const approver of a.approvers ?? []) {
      if (votes >= quorum) break;
      if (approver.voted) continue;
      const reason = plan.hotfix ? 'Hotfix for the failed release' : 'Looks good';
      const code = await decideAs(a.reviewUrl!, approver.approver, 'approve', reason, {
        hotfix: plan.hotfix,
      });
      if (code === 200) votes++;
    }
  }
  return undefined;
}

/** Real ms between two looks for open pauses (each look scans the sandbox's table). */
const PAUSE_LOOK_MS = 150;

/**
 * Decides the open pauses of one execution as people would (`plan.pause`): after the planned reaction time
 * (a jump of the simulated clock, kept inside the pause's deadline) the quorum continues it, or one person
 * rolls it back with a reason; for a timeout nobody decides, and the clock moves past the deadline so ECS
 * takes its timeout action.
 */
async function answerPauses(
  ctx: DriveContext,
  plan: PlannedRelease,
  executionArn: string,
  answered: Set<string>,
): Promise<void> {
  const res = await fetch(`${ctx.url}/_sandbox/api/pauses`);
  const { pauses } = (await res.json()) as { pauses: PendingPause[] };
  for (const p of pauses.filter((x) => x.executionArn === executionArn && !answered.has(x.id))) {
    answered.add(p.id);
    const left = p.deadline - ctx.clock.now();
    if (plan.pause === 'timeout') {
      ctx.clock.jumpBy(left + 1000);
      continue;
    }
    ctx.clock.jumpBy(Math.max(0, Math.min(plan.pauseReactionMs, left - 60_000)));
    const waiting = p.approvers.filter((a) => !a.voted);
    if (plan.pause === 'rollback') {
      await decideAs(p.reviewUrl, waiting[0]?.approver ?? '', 'rollback', 'Error rate up on the canary');
      continue;
    }
    let yes = 0;
    for (const a of waiting) {
      if (yes >= p.quorum - p.continues) break;
      if ((await decideAs(p.reviewUrl, a.approver, 'continue', 'Canary looks healthy')) === 200) yes++;
    }
  }
}

/**
 * Drives one planned release through the real entry points: pushes its images, sends the pipeline webhook,
 * answers every gate through the approvers' links and waits until the execution ends. With `stopAt`, returns
 * as soon as the release waits at that environment's gate (status RUNNING).
 */
export async function driveRelease(
  ctx: DriveContext,
  plan: PlannedRelease,
  pipelineId: number,
  stopAt?: string,
): Promise<DrivenRelease> {
  ctx.clock.jumpTo(plan.at);
  const digests = await pushImages(ctx, plan);
  const executionArn = await sendWebhook(ctx, plan, pipelineId);
  return follow(ctx, { plan, executionArn, status: 'RUNNING', digests }, stopAt);
}

/**
 * Follows a started release (answering its gates) until it ends, or waits at `stopAt`'s gate. A release
 * still running after `timeoutMs` of real time is stopped (`StopExecution`, error `History.Stuck`).
 */
export async function follow(
  ctx: DriveContext,
  driven: DrivenRelease,
  stopAt?: string,
): Promise<DrivenRelease> {
  const answered = new Set<string>();
  const deadline = performance.now() + ctx.timeoutMs;
  const last = ctx.config.environments[ctx.config.environments.length - 1].name;
  const pauses = driven.plan.services.some((s) => hasPauses(ctx.config, s, last));
  let lookedAtPauses = 0;
  while (performance.now() < deadline) {
    const d = await ctx.sfn.send(new DescribeExecutionCommand({ executionArn: driven.executionArn }));
    if (d.status !== 'RUNNING') return { ...driven, status: d.status ?? 'UNKNOWN', error: d.error };
    if (await answerGates(ctx, driven.plan, driven.executionArn, answered, stopAt)) return driven;
    if (pauses && performance.now() - lookedAtPauses >= PAUSE_LOOK_MS) {
      lookedAtPauses = performance.now();
      await answerPauses(ctx, driven.plan, driven.executionArn, answered);
    }
    await realSleep(ctx.pollMs);
  }
  // Stuck (a task waiting for an event that never comes): stop it as a person would, and go on.
  const cause = `No progress within ${ctx.timeoutMs / 1000} s of real time; stopped by the history generator.`;
  await ctx.sfn.send(
    new StopExecutionCommand({ executionArn: driven.executionArn, error: 'History.Stuck', cause }),
  );
  return { ...driven, status: 'ABORTED', error: 'History.Stuck' };
}

/**
 * Asks for a manual rollback as `shipgate rollback` does (POST /api/rollbacks) and waits until it settles.
 * @returns the rollback's final status (ROLLED_BACK, FAILED…) or the refusal (409) as `REFUSED: …`.
 */
export async function rollBackByHand(
  ctx: DriveContext,
  service: string,
  environment: string,
  reason: string,
): Promise<string> {
  const res = await fetch(`${ctx.url}/api/rollbacks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ service, environment, reason, by: 'alice' }),
  });
  const answer = (await res.json()) as { rollback?: { id: string; status: string }; error?: string };
  if (res.status === 409) return `REFUSED: ${answer.error}`;
  if (res.status !== 202 || !answer.rollback)
    throw new DemoError(
      `POST /api/rollbacks answered ${res.status}: ${JSON.stringify(answer).slice(0, 300)}`,
    );
  const deadline = performance.now() + ctx.timeoutMs;
  while (performance.now() < deadline) {
    const r = await fetch(`${ctx.url}/api/rollbacks/${encodeURIComponent(answer.rollback.id)}`);
    const { rollback } = (await r.json()) as { rollback: { status: string } };
    if (!['REQUESTED', 'ROLLING_BACK'].includes(rollback.status)) return rollback.status;
    await realSleep(ctx.pollMs);
  }
  throw new DemoError(`The manual rollback of ${service} in ${environment} did not settle in time.`);
}
