import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { Webhook } from 'standardwebhooks';
import type { ProjectConfig, ShipgateConfig } from '../lambdas/shared/config';
import { ShipgateError } from '../lambdas/shared/errors';
import { FINDINGS_ANNOTATION, ROLLOUT_ANNOTATION } from './aws/ecr';

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

/** The demo could not run (sandbox unreachable, webhook refused…). */
export class DemoError extends ShipgateError {
  static override readonly errorName: string = 'DemoError';
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An OCI image manifest with Shipgate's sandbox annotations (unique per service and commit). */
export function demoManifest(service: string, sha: string, annotations: Record<string, string> = {}): string {
  const config = JSON.stringify({
    architecture: 'arm64',
    os: 'linux',
    config: { Labels: { service, revision: sha } },
  });
  const layer = createHash('sha256').update(`${service}:${sha}:layer`).digest('hex');
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: `sha256:${createHash('sha256').update(config).digest('hex')}`,
      size: Buffer.byteLength(config),
    },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${layer}`, size: 3145728 },
    ],
    annotations: {
      'org.opencontainers.image.revision': sha,
      'org.opencontainers.image.title': service,
      'org.opencontainers.image.created': new Date().toISOString(),
      ...annotations,
    },
  });
}

/** A stable numeric project id for a configured project (GitLab ids are numbers; the sandbox has no GitLab). */
export function demoProjectId(config: ShipgateConfig, project: ProjectConfig): number {
  return 100 + config.projects.indexOf(project);
}

/**
 * A GitLab "Pipeline Hook" payload for a successful pipeline on the project's default branch, in the format
 * GitLab documents (object_attributes, user, project, commit, builds).
 */
export function pipelineEvent(input: {
  projectId: number;
  path: string;
  sha: string;
  pipelineId: number;
  title: string;
  gitlabUrl: string;
}): Record<string, unknown> {
  const { projectId, path, sha, pipelineId, title, gitlabUrl } = input;
  const name = path.split('/').pop()!;
  const webUrl = `${gitlabUrl}/${path}`;
  const now = new Date();
  const fmt = (d: Date) =>
    d
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC');
  const created = new Date(now.getTime() - 5 * 60 * 1000);
  const user = { id: 42, name: 'Sam Sandbox', username: 'sam', avatar_url: null, email: 'sam@shipgate.test' };
  const build = (id: number, stage: string, jobName: string) => ({
    id,
    stage,
    name: jobName,
    status: 'success',
    created_at: fmt(created),
    started_at: fmt(created),
    finished_at: fmt(now),
    duration: 120.5,
    queued_duration: 1.2,
    failure_reason: null,
    when: 'on_success',
    manual: false,
    allow_failure: false,
    user,
    runner: {
      id: 1,
      description: 'sandbox-runner',
      runner_type: 'instance_type',
      active: true,
      is_shared: true,
      tags: ['docker'],
    },
    artifacts_file: { filename: null, size: null },
    environment: null,
  });
  return {
    object_kind: 'pipeline',
    object_attributes: {
      id: pipelineId,
      iid: pipelineId % 1000,
      name: null,
      ref: 'main',
      tag: false,
      sha,
      before_sha: '0000000000000000000000000000000000000000',
      source: 'push',
      status: 'success',
      detailed_status: 'passed',
      stages: ['build', 'test', 'publish'],
      created_at: fmt(created),
      finished_at: fmt(now),
      duration: 300,
      queued_duration: 2,
      variables: [],
      url: `${webUrl}/-/pipelines/${pipelineId}`,
      protected_ref: true,
    },
    merge_request: null,
    user,
    project: {
      id: projectId,
      name,
      description: `Sample ${name} service`,
      web_url: webUrl,
      avatar_url: null,
      git_ssh_url: `git@${new URL(gitlabUrl).host}:${path}.git`,
      git_http_url: `${webUrl}.git`,
      namespace: path.split('/')[0],
      visibility_level: 0,
      path_with_namespace: path,
      default_branch: 'main',
      ci_config_path: null,
    },
    commit: {
      id: sha,
      message: `${title}\n`,
      title,
      timestamp: now.toISOString().replace(/\.\d+Z$/, '+00:00'),
      url: `${webUrl}/-/commit/${sha}`,
      author: { name: user.name, email: user.email },
    },
    builds: [
      build(pipelineId * 10 + 1, 'build', 'build-image'),
      build(pipelineId * 10 + 2, 'test', 'unit-tests'),
    ],
  };
}

/** Reads a field value from simple HTML `<input>` elements. */
function hiddenInputs(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    const tag = m[0];
    if (!/type\s*=\s*["']?hidden/i.test(tag)) continue;
    const name = /name\s*=\s*["']([^"']*)["']/i.exec(tag)?.[1];
    const value = /value\s*=\s*["']([^"']*)["']/i.exec(tag)?.[1] ?? '';
    if (name)
      out[name] = value
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>');
  }
  return out;
}

/**
 * Approves through a personal link the way a person does: opens the confirm page, then submits its form
 * with `decision=approve`. Returns the HTTP status of the vote.
 */
export async function approveViaLink(link: string, reason = 'Approved by the sandbox demo'): Promise<number> {
  const page = await fetch(link, { redirect: 'manual' });
  const html = await page.text();
  if (!page.ok)
    throw new DemoError(
      `The confirm page ${new URL(link).pathname} answered ${page.status}: ${html.slice(0, 200)}`,
    );
  const action = /<form\b[^>]*action\s*=\s*["']([^"']*)["']/i.exec(html)?.[1]?.replace(/&amp;/g, '&');
  const target = action ? new URL(action, link).toString() : link;
  const body = new URLSearchParams({ ...hiddenInputs(html), decision: 'approve', reason });
  const res = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(link).origin },
    body,
    redirect: 'manual',
  });
  await res.text();
  return res.status;
}

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
        links: { label: string; url: string }[];
      }[];
    };
    for (const a of pending.approvals.filter((x) => x.executionArn === executionArn && x.links.length)) {
      if (!shown.has(a.state)) {
        shown.add(a.state);
        o.print(`${a.state}: open one of these links to decide`);
        for (const l of a.links) o.print(`  ${l.label}: ${l.url}`);
        if (!o.autoApprove && o.noWait)
          return { release: answer.release, executionArn, status, sha, digests };
      }
      if (!o.autoApprove) continue;
      const quorum = o.config.environments.find((e) => e.name === a.environment)?.approval.quorum ?? 1;
      let votes = [...approved].filter((k) => k.startsWith(`${a.state}\n`)).length;
      for (const l of a.links) {
        if (votes >= quorum) break;
        const key = `${a.state}\n${l.url}`;
        if (approved.has(key)) continue;
        const code = await approveViaLink(l.url);
        approved.add(key);
        o.print(`  ${l.label}: approve → HTTP ${code}`);
        if (code === 200) votes++;
      }
    }
    await sleep(250);
  }
  if (status === 'RUNNING') {
    const waited = Math.round((o.timeoutMs ?? 600_000) / 1000);
    const why = lastState.startsWith('Approve ')
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
