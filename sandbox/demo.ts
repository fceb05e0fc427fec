import { followPauses, type PauseFollowState } from './demo-pauses';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { Webhook } from 'standardwebhooks';
import type { ShipgateConfig } from '../lambdas/shared/config';
import { decideAs } from './approve-link';
import { FAIL_AT_ANNOTATION, FINDINGS_ANNOTATION, ROLLOUT_ANNOTATION } from './aws/ecr';
import { DemoError } from './demo-error';
import { demoManifest, demoProjectId, pipelineEvent } from './demo-payloads';

export { BrowserSession, decideAs } from './approve-link';
export { DemoError } from './demo-error';
export { demoManifest, demoProjectId, pipelineEvent } from './demo-payloads';

/** Options of a demo release. */
export interface DemoOptions {
  config: ShipgateConfig;
  /** Base URL of the running sandbox's HTTP app. */
  url: string;
  /** AWS-compatible endpoint of the sandbox. */
  awsEndpoint: string;
  /** X-Gitlab-Token to send. */
  webhookToken: string;
  /** `whsec_…` key to sign with, when the sandbox requires signatures. */
  signingKey?: string;
  /** GitLab project path (default: the first configured project). */
  project?: string;
  /** Approve every gate with the configured approvers' links. */
  autoApprove?: boolean;
  /** `org.shipgate.sandbox.rollout` annotation of the pushed image. */
  rollout?: 'fail' | 'unhealthy';
  /** `org.shipgate.sandbox.fail-at` annotation: `<STAGE>[@<environment>]`, e.g. `BAKE_TIME@production`. */
  failAt?: string;
  /** `org.shipgate.sandbox.findings` annotation, e.g. `{"CRITICAL":1}`. */
  findings?: string;
  /** Stop after printing the links (do not wait for the release to finish). */
  noWait?: boolean;
  /** Where progress lines go. */
  print: (line: string) => void;
  /** Give up waiting after this long. @default 600000 */
  timeoutMs?: number;
}

/** What the demo did. */
export interface DemoResult {
  release?: string;
  executionArn?: string;
  status: string;
  sha: string;
  digests: Record<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs one demo release against a running sandbox: pushes an image tagged with a fresh commit SHA for every
 * service of the project, sends the pipeline webhook, prints the approval links as each gate opens
 * (approving them with `autoApprove`), and waits for the execution to finish.
 */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const project = o.project ? o.config.projects.find((p) => p.path === o.project) : o.config.projects[0];
  if (!project) {
    throw new DemoError(
      `Unknown project "${o.project}"; configured: ${o.config.projects.map((p) => p.path).join(', ')}`,
    );
  }
  const clientConfig = {
    endpoint: o.awsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIASHIPGATEDEMO0000', secretAccessKey: 'shipgate-demo-not-a-secret' },
    maxAttempts: 2,
  };
  const ecr = new ECRClient(clientConfig);
  const sfn = new SFNClient(clientConfig);
  const sha = randomBytes(20).toString('hex');
  const annotations: Record<string, string> = {};
  if (o.rollout) annotations[ROLLOUT_ANNOTATION] = o.rollout;
  if (o.failAt) annotations[FAIL_AT_ANNOTATION] = o.failAt;
  if (o.findings) annotations[FINDINGS_ANNOTATION] = o.findings;
  const digests: Record<string, string> = {};
  for (const service of project.services) {
    const repository = o.config.services[service].repository;
    const put = await ecr.send(
      new PutImageCommand({
        repositoryName: repository,
        imageTag: sha,
        imageManifest: demoManifest(service, sha, annotations),
      }),
    );
    digests[service] = put.image!.imageId!.imageDigest!;
    o.print(
      `Pushed ${repository}:${sha.slice(0, 12)} → ${digests[service]}${Object.keys(annotations).length ? ` (${JSON.stringify(annotations)})` : ''}`,
    );
  }

  const payload = pipelineEvent({
    projectId: demoProjectId(o.config, project),
    path: project.path,
    sha,
    pipelineId: 5000 + Math.floor(Math.random() * 90000),
    title: 'Sandbox demo release',
    gitlabUrl: (o.config.gitlab.url ?? 'http://gitlab.example.test').replace(/\/$/, ''),
  });
  const body = JSON.stringify(payload);
  const idempotencyKey = randomUUID();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitLab/18.6.1',
    'x-gitlab-event': 'Pipeline Hook',
    'x-gitlab-instance': o.config.gitlab.url ?? 'http://gitlab.example.test',
    'x-gitlab-webhook-uuid': randomUUID(),
    'x-gitlab-event-uuid': randomUUID(),
    'idempotency-key': idempotencyKey,
    'x-gitlab-token': o.webhookToken,
  };
  if (o.signingKey) {
    const ts = new Date();
    headers['webhook-id'] = idempotencyKey;
    headers['webhook-timestamp'] = String(Math.floor(ts.getTime() / 1000));
    headers['webhook-signature'] = new Webhook(o.signingKey).sign(idempotencyKey, ts, body);
  }
  const res = await fetch(`${o.url}/webhooks/gitlab`, { method: 'POST', headers, body });
  const answer = (await res.json().catch(() => ({}))) as {
    release?: string;
    execution?: string;
    executionArn?: string;
    ignored?: string;
    error?: string;
  };
  o.print(
    `Sent the pipeline webhook for ${project.path}@${sha.slice(0, 12)}: HTTP ${res.status} ${JSON.stringify(answer)}`,
  );
  if (res.status !== 202 || !answer.executionArn) {
    throw new DemoError(
      `The webhook did not start a release (HTTP ${res.status}: ${answer.error ?? answer.ignored ?? 'no executionArn in the answer'}).${res.status === 401 ? ' The webhook token does not match the sandbox: set SHIPGATE_WEBHOOK_TOKEN to the token "npm start" printed.' : ''}`,
    );
  }
  const executionArn = answer.executionArn;
  o.print(`Release ${answer.release} → ${o.url}/#/executions/${encodeURIComponent(executionArn)}`);

  const approved = new Set<string>();
  const shown = new Set<string>();
  const pauses: PauseFollowState = { shown: new Set(), decided: new Set() };
  const deadline = Date.now() + (o.timeoutMs ?? 600_000);
  let status = 'RUNNING';
  let lastState = '';
  while (Date.now() < deadline) {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    status = d.status ?? 'UNKNOWN';
    if (status !== 'RUNNING') {
      let cause = d.cause ?? '';
      try {
        // Lambda errors carry {errorType, errorMessage, trace}; the message is what a person wants.
        cause = (JSON.parse(cause) as { errorMessage?: string }).errorMessage ?? cause;
      } catch {
        // a plain-text cause
      }
      o.print(
        `Execution ${status}${d.error ? `: ${d.error}${cause ? ` — ${cause.slice(0, 600)}` : ''}` : ''}`,
      );
      break;
    }
    const recent = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 40 }),
    );
    // Top-level states only: the first entered state in reverse order is where the release is now.
    const entered = recent.events?.find((e) => e.stateEnteredEventDetails?.name);
    const state = entered?.stateEnteredEventDetails?.name ?? '';
    if (state && state !== lastState) {
      lastState = state;
      let note = '';
      if (entered?.type === 'WaitStateEntered') {
        const freeze = (
          JSON.parse(entered.stateEnteredEventDetails?.input ?? '{}') as {
            freeze?: { until?: string; reason?: string };
          }
        ).freeze;
        note = ` — a deploy freeze in the config${freeze?.reason ? ` (${freeze.reason})` : ''} holds the release until ${freeze?.until ?? 'it ends'}; point SHIPGATE_CONFIG at a config without freezes to go straight through`;
      }
      o.print(`  … ${state}${note}`);
    }
    const pending = (await (await fetch(`${o.url}/_sandbox/api/approvals`)).json()) as {
      approvals: {
        executionArn: string;
        environment: string;
        state: string;
        reviewUrl?: string;
        approvers?: { approver: string; name: string; voted: boolean }[];
      }[];
    };
    for (const a of pending.approvals.filter((x) => x.executionArn === executionArn && x.reviewUrl)) {
      if (!shown.has(a.state)) {
        shown.add(a.state);
        o.print(
          `${a.state}: open ${a.reviewUrl} and sign in with GitLab as one of ${(a.approvers ?? []).map((p) => p.approver).join(', ')} to decide`,
        );
        if (!o.autoApprove && o.noWait)
          return { release: answer.release, executionArn, status, sha, digests };
      }
      if (!o.autoApprove) continue;
      const quorum = o.config.environments.find((e) => e.name === a.environment)?.approval.quorum ?? 1;
      let votes = [...approved].filter((k) => k.startsWith(`${a.state}\n`)).length;
      for (const p of a.approvers ?? []) {
        if (votes >= quorum) break;
        const key = `${a.state}\n${p.approver}`;
        if (approved.has(key) || p.voted) continue;
        // Signs in at the sandbox's GitLab as this approver, then approves on the review page.
        const code = await decideAs(a.reviewUrl!, p.approver, 'approve', 'Approved by the sandbox demo');
        approved.add(key);
        o.print(`  signed in as @${p.approver}: approve → HTTP ${code}`);
        if (code === 200) votes++;
      }
    }
    // A canary paused at an ECS PAUSE hook: print its links (and continue it with --auto-approve).
    await followPauses(o, executionArn, pauses);
    await sleep(250);
  }
  if (status === 'RUNNING') {
    const waited = Math.round((o.timeoutMs ?? 600_000) / 1000);
    const why = lastState.startsWith('Paused in ')
      ? `it waits at "${lastState}" for people to continue or roll back the rollout (the links above)`
      : lastState.startsWith('Approve ')
        ? `it still waits at "${lastState}" for approvals${o.autoApprove ? '' : ' (open the links above, or run the demo with --auto-approve)'}`
        : lastState.startsWith('Wait for ')
          ? `a deploy freeze holds it at "${lastState}"`
          : `it is still at "${lastState || 'its first state'}"`;
    o.print(
      `Gave up waiting after ${waited} s: ${why}. The release keeps running in the sandbox; follow it at ${o.url}/#/executions/${encodeURIComponent(executionArn)}`,
    );
  }
  if (status !== 'RUNNING') {
    const { environments } = (await (await fetch(`${o.url}/_sandbox/api/environments`)).json()) as {
      environments: { environment: string; service: string; digest: string }[];
    };
    for (const e of environments.filter((x) => project.services.includes(x.service))) {
      const mark = e.digest === digests[e.service] ? '  ← this release' : '';
      o.print(`  ${e.environment.padEnd(12)} ${e.service.padEnd(16)} ${e.digest}${mark}`);
    }
  }
  return { release: answer.release, executionArn, status, sha, digests };
}

/** The webhook token a sandbox generated in its state dir, if any. */
export function tokenFromStateDir(stateDir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(stateDir, 'secrets.json'), 'utf8')) as { webhookToken?: string })
      .webhookToken;
  } catch {
    return undefined;
  }
}
