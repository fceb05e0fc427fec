/**
 * Environment pages, like GitLab's Environments/Deployments: what runs per service (digest linked to the
 * release that put it there, and since when), the deployment history (release, commit, outcome, approvers,
 * duration, rollbacks) and the environment's URLs. Built from the executions' histories and what ECS runs.
 */
import { badge, duration, environmentHref, esc, executionHref, readableCause, time } from './format';
import type { AslScope } from './asl';
import { traceExecution, type HistoryEvent } from './trace';

/** What runs in one (environment, service). */
export interface RunningService {
  environment: string;
  service: string;
  cluster: string;
  taskDefinition: string;
  digest: string;
  rolloutState: string;
  deployments: number;
  smokeUrl?: string;
}

/** An execution as the environment pages read it. */
export interface ExecutionRecord {
  executionArn: string;
  name: string;
  status: string;
  startDate: number;
  stopDate?: number;
  input: string;
  history: HistoryEvent[];
}

/** Outcome of one deployment, in GitLab's words where they fit. */
export type DeploymentOutcome =
  | 'success'
  | 'rolled back'
  | 'failed'
  | 'rejected'
  | 'approval expired'
  | 'waiting for approval'
  | 'running'
  | 'canceled'
  | 'blocked';

/** One release's deployment to an environment. */
export interface Deployment {
  executionArn: string;
  release: string;
  commit?: { sha: string; title?: string; url?: string };
  pipeline?: { id?: number; url?: string };
  outcome: DeploymentOutcome;
  approvers: string[];
  /** Who rejected and why, when rejected. */
  detail?: string;
  startedAt: number;
  finishedAt?: number;
  digests: Record<string, string>;
  rolledBack: boolean;
}

/** Everything one environment page shows. */
export interface EnvironmentModel {
  name: string;
  environments: string[];
  services: (RunningService & { release?: Deployment; since?: number })[];
  deployments: Deployment[];
  /** The environment's GitLab page, when the config names the GitLab URL. */
  gitlabUrl?: string;
  now: number;
}

/** The deployments of `environment`, newest first, from the executions' histories. */
export function deploymentsOf(
  environment: string,
  definition: AslScope,
  executions: ExecutionRecord[],
): Deployment[] {
  const out: Deployment[] = [];
  for (const e of [...executions].sort((a, b) => b.startDate - a.startDate)) {
    const trace = traceExecution(definition, e.history, e.status);
    const mine = trace.visits.filter((v) =>
      [
        `Approve ${environment}`,
        `Deploy ${environment}`,
        `Verify ${environment}`,
        `Roll back ${environment}`,
      ].includes(v.name),
    );
    if (!mine.length) continue;
    const of = (name: string) => mine.filter((v) => v.name === name).pop();
    const approve = of(`Approve ${environment}`);
    const deploy = of(`Deploy ${environment}`);
    const verify = of(`Verify ${environment}`);
    const rollback = of(`Roll back ${environment}`);
    let release: { commit?: Deployment['commit']; pipeline?: Deployment['pipeline'] } = {};
    try {
      release = (JSON.parse(e.input) as { release?: typeof release }).release ?? {};
    } catch {
      // no readable input: no commit to show
    }
    const digests: Record<string, string> = {};
    const resolved = trace.visits.find((v) => v.name === 'Resolve release');
    const resolvedResult = e.history.find(
      (ev) => ev.type === 'TaskSucceeded' && resolved?.events.includes(ev.id),
    )?.taskSucceededEventDetails as { output?: string } | undefined;
    try {
      const out = JSON.parse(resolvedResult?.output ?? '{}') as {
        images?: { service: string; digest: string }[];
      };
      for (const img of out.images ?? []) digests[img.service] = img.digest;
    } catch {
      // no digests known
    }
    let approvers: string[] = [];
    // The approval task's result (`{ approvalId, approvedBy, decidedAt }`), as SendTaskSuccess delivered it.
    const result = e.history.find((ev) => ev.type === 'TaskSucceeded' && approve?.events.includes(ev.id))
      ?.taskSucceededEventDetails as { output?: string } | undefined;
    try {
      const o = JSON.parse(result?.output ?? '{}') as { approvedBy?: unknown };
      if (Array.isArray(o.approvedBy)) approvers = o.approvedBy.map(String);
    } catch {
      // not approved
    }
    let outcome: DeploymentOutcome;
    let detail: string | undefined;
    if (verify?.status === 'succeeded') outcome = 'success';
    else if (rollback) outcome = 'rolled back';
    else if (approve?.status === 'failed' || approve?.status === 'caught') {
      outcome = /Timeout|Expired/i.test(approve.error ?? '') ? 'approval expired' : 'rejected';
      detail = readableCause(approve.cause).split('\n')[0];
    } else if (e.status === 'RUNNING')
      outcome = approve?.status === 'current' ? 'waiting for approval' : 'running';
    else if (e.status === 'ABORTED') outcome = 'canceled';
    else if (!deploy) outcome = 'blocked';
    else outcome = 'failed';
    if (outcome === 'rolled back' || outcome === 'failed') {
      const inner = trace.visits.filter((v) => v.error && v.name.endsWith(` ${environment}`) && v !== deploy);
      const failed = [verify, ...inner, deploy].find((v) => v?.error);
      detail = failed ? `${failed.error}: ${readableCause(failed.cause).split('\n')[0]}` : undefined;
    }
    const ends = mine.map((v) => v.exitedAt).filter((x): x is number => x !== undefined);
    const open = mine.some((v) => v.exitedAt === undefined) && e.status === 'RUNNING';
    out.push({
      executionArn: e.executionArn,
      release: e.name,
      commit: release.commit,
      pipeline: release.pipeline,
      outcome,
      approvers,
      detail,
      startedAt: (deploy ?? mine[0]).enteredAt,
      finishedAt: open ? undefined : ends.length ? Math.max(...ends) : e.stopDate,
      digests,
      rolledBack: Boolean(rollback),
    });
  }
  return out;
}

/** Builds an environment page's model. */
export function environmentModel(input: {
  name: string;
  environments: string[];
  definition: AslScope;
  executions: ExecutionRecord[];
  running: RunningService[];
  gitlabUrl?: string;
  now?: number;
}): EnvironmentModel {
  const deployments = deploymentsOf(input.name, input.definition, input.executions);
  const services = input.running
    .filter((s) => s.environment === input.name)
    .map((s) => {
      const release = deployments.find((d) => d.outcome === 'success' && d.digests[s.service] === s.digest);
      return { ...s, release, since: release?.finishedAt };
    });
  return {
    name: input.name,
    environments: input.environments,
    services,
    deployments,
    gitlabUrl: input.gitlabUrl,
    now: input.now ?? Date.now() / 1000,
  };
}

const OUTCOME_CLASS: Record<DeploymentOutcome, string> = {
  success: 'succeeded',
  'rolled back': 'failed',
  failed: 'failed',
  rejected: 'failed',
  'approval expired': 'failed',
  'waiting for approval': 'running',
  running: 'running',
  canceled: 'aborted',
  blocked: 'aborted',
};

/** The environment page fragment. */
export function renderEnvironment(m: EnvironmentModel): string {
  const tabs = `<nav class="env-tabs">${m.environments
    .map(
      (e) =>
        `<a href="${esc(environmentHref(e))}"${e === m.name ? ' class="active" aria-current="page"' : ''}>${esc(e)}</a>`,
    )
    .join('')}</nav>`;
  const urls = m.services.filter((s) => s.smokeUrl);
  const services = m.services
    .map(
      (s) =>
        `<tr class="running" data-environment="${esc(s.environment)}" data-service="${esc(s.service)}" data-digest="${esc(s.digest)}"><td>${esc(s.service)}</td><td><code class="digest" title="${esc(s.digest)}">${esc(s.digest.slice(0, 19))}…</code></td><td>${
          s.release
            ? `<a class="release-link" href="${esc(executionHref(s.release.executionArn))}">${esc(s.release.release)}</a>${s.release.commit ? ` <span class="muted">${esc(s.release.commit.sha.slice(0, 8))}</span>` : ''}`
            : '<span class="muted">seeded at sandbox start</span>'
        }</td><td>${s.since ? `${esc(time(s.since))} <span class="muted">(${esc(duration(m.now - s.since))} ago)</span>` : ''}</td><td>${badge(s.rolloutState)}</td></tr>`,
    )
    .join('');
  const deployments = m.deployments
    .map(
      (d) =>
        `<tr class="deployment" data-release="${esc(d.release)}" data-outcome="${esc(d.outcome)}"><td>${badge(OUTCOME_CLASS[d.outcome], d.outcome)}${d.rolledBack ? ' <span class="rollback" title="Rolled back to the previous task definition">↩ rollback</span>' : ''}</td><td><a href="${esc(executionHref(d.executionArn))}">${esc(d.release)}</a>${
          d.commit
            ? `<div class="muted">${d.commit.url ? `<a href="${esc(d.commit.url)}" target="_blank" rel="noopener noreferrer">${esc(d.commit.sha.slice(0, 8))}</a>` : esc(d.commit.sha.slice(0, 8))} ${esc(d.commit.title ?? '')}</div>`
            : ''
        }</td><td>${d.approvers.length ? esc(d.approvers.join(', ')) : '<span class="muted">—</span>'}</td><td>${esc(time(d.startedAt))}</td><td>${esc(duration((d.finishedAt ?? m.now) - d.startedAt))}${d.finishedAt ? '' : ' so far'}</td><td class="wrap">${esc(d.detail ?? '')}</td></tr>`,
    )
    .join('');
  return `<section class="environment" data-environment="${esc(m.name)}" data-live="true">${tabs}<h2>Environment ${esc(m.name)}</h2>
<div class="env-urls"><b>URLs</b> ${
    urls.length
      ? urls
          .map(
            (s) =>
              `<a class="env-url" href="${esc(s.smokeUrl)}" target="_blank" rel="noopener noreferrer">${esc(s.service)}</a>`,
          )
          .join(' ')
      : '<span class="muted">none</span>'
  }${m.gitlabUrl ? ` · <a href="${esc(m.gitlabUrl)}" target="_blank" rel="noopener noreferrer">GitLab environments</a>` : ''}</div>
<h3>What runs</h3><div class="scroll"><table class="services"><thead><tr><th>Service</th><th>Digest</th><th>Release</th><th>Since</th><th>Rollout</th></tr></thead><tbody>${services}</tbody></table></div>
<h3>Deployments <span class="muted">(${m.deployments.length}, newest first)</span></h3>${
    m.deployments.length
      ? `<div class="scroll"><table class="deployments"><thead><tr><th>Outcome</th><th>Release</th><th>Approved by</th><th>Started</th><th>Duration</th><th>Detail</th></tr></thead><tbody>${deployments}</tbody></table></div>`
      : '<p class="empty">No release has reached this environment yet.</p>'
  }</section>`;
}
