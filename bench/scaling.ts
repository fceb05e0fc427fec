import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { parse, stringify } from 'yaml';
import { loadConfig, type ShipgateConfig } from '../lambdas/shared/config';
import { decideAs, demoManifest } from '../sandbox/demo';
import type { DeploymentLogEntry, EcsState } from '../sandbox/aws/ecs';
import { clusterName } from '../sandbox/seed';
import { SandboxProcess } from '../test/integ/sandbox/sandbox-process';
import { freePort } from '../test/integ/sandbox/support';
import { gitlabDelivery, pipelinePayload, withField } from '../test/helpers/gitlab-deliveries';

/**
 * How Shipgate behaves as releases pile up (issue 22): N releases started at once across the three services
 * of the example config, in a fresh sandbox per level, approvals given as soon as the links appear. For every
 * release it checks the final state; from the ECS emulator's own deployment log it checks that no two
 * rollouts of one (service, environment) overlapped; and it splits each release's wall time into emulated
 * rollout time (the emulator's deployment log), approval time (links visible → quorum reached), time queued
 * behind another release's rollout (the workflow's `RolloutLocked` retry pauses), and the rest: Shipgate's
 * orchestration overhead.
 */

const ROOT = resolve(__dirname, '..');

/** The three services, with the GitLab project that releases each (ids as in the fixtures). */
const PROJECTS = [
  { service: 'inventory-app', path: 'root/inventory-app', id: 12 },
  { service: 'api-gateway', path: 'root/api-gateway', id: 11 },
  { service: 'billing-app', path: 'root/billing-app', id: 13 },
] as const;

/** One release of a level. */
export interface ReleaseRow {
  release: string;
  service: string;
  /** Order of its pipeline among the service's releases of this level (1 = oldest). */
  rank: number;
  newest: boolean;
  executionStatus: string;
  executionError?: string;
  recordStatus: string;
  correct: boolean;
  why?: string;
  stateTransitions: number;
  wallMs: number;
  rolloutMs: number;
  approvalMs: number;
  lockQueueMs: number;
  overheadMs: number;
  /** Time in each state of the workflow. */
  stateMs: Record<string, number>;
}

/** One concurrency level. */
export interface ScalingLevel {
  concurrent: number;
  /** Final states, e.g. `{ SUCCEEDED: 3, SUPERSEDED: 7 }` (release records). */
  finalStates: Record<string, number>;
  correct: number;
  /** ECS deployments in the emulator's log, and how many started while another of the same service ran. */
  deployments: number;
  overlapping: number;
  transitionsPerRelease: { mean: number; max: number };
  /** From the first webhook to the last release's end. */
  wallMs: number;
  /**
   * CPU time the sandbox process used from the first webhook to the last release's end, per release: what the
   * orchestration costs (every Lambda, Step Functions, the emulators and DynamoDB share that one process),
   * independent of how the releases queue for it. Includes the bench's polling of the approvals API.
   */
  cpuMsPerRelease?: number;
  perRelease: {
    wallMs: number;
    rolloutMs: number;
    approvalMs: number;
    lockQueueMs: number;
    overheadMs: number;
    overheadP95Ms: number;
    /** Overhead counting the lock-queue pauses as overhead too. */
    overheadWithQueueMs: number;
  };
  /** Mean time per release in each state (where the time goes), largest first. */
  stateMs: Record<string, number>;
  releases: ReleaseRow[];
  notes: string[];
}

/** Results of the scaling part. */
export interface ScalingResults {
  levels: ScalingLevel[];
  phaseMs: number;
  /** overhead per release at the highest level ÷ at 1. */
  overheadRatio?: number;
  /** Sandbox CPU per release at the highest level ÷ at 1. */
  cpuRatio?: number;
  overheadWithQueueRatio?: number;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const p95 = (xs: number[]) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)];
};

/**
 * The example config for the bench: no deploy freezes (a weekend would park production), no canary pauses (the
 * bench decides approvals, not pauses: an undecided pause would roll back at its timeout), quick Verify.
 */
function writeBenchConfig(dir: string): string {
  const config = parse(readFileSync(join(ROOT, 'shipgate.config.yaml'), 'utf8')) as {
    environments: { freezes?: unknown }[];
    services: Record<string, { environments?: Record<string, Record<string, unknown>> }>;
    verify?: unknown;
  };
  for (const env of config.environments) delete env.freezes;
  for (const svc of Object.values(config.services)) {
    for (const o of Object.values(svc.environments ?? {})) delete o.pauses;
  }
  config.verify = { attempts: 2, interval: '1s', requestTimeout: '2s' };
  const file = join(dir, 'shipgate.config.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/** The ECS state of every emulated account, merged (services, task definitions, the deployment log). */
function ecsStateOfAllAccounts(awsDir: string): EcsState {
  const accountsDir = join(awsDir, 'accounts');
  const files = [
    join(awsDir, 'ecs.json'),
    ...(existsSync(accountsDir) ? readdirSync(accountsDir).map((a) => join(accountsDir, a, 'ecs.json')) : []),
  ].filter((f) => existsSync(f));
  const states = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as EcsState);
  return {
    ...states[0],
    services: Object.assign({}, ...states.map((x) => x.services)),
    taskDefinitions: Object.assign({}, ...states.map((x) => x.taskDefinitions)),
    deploymentLog: states.flatMap((x) => x.deploymentLog ?? []),
  };
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); undefined elsewhere. */
function cpuMsOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state is [0], utime [11], stime [12] (proc(5): fields 14 and 15).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Release of a state machine execution in the sandbox's history, as timestamps in ms. */
const at = (e: HistoryEvent) => (e.timestamp instanceof Date ? e.timestamp.getTime() : Number(e.timestamp));

/** Time spent in each state (entered → exited), by state name. */
function stateDurations(events: HistoryEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  const open = new Map<string, number>();
  for (const e of events) {
    const entered = e.stateEnteredEventDetails?.name;
    const exited = e.stateExitedEventDetails?.name;
    if (entered) open.set(entered, at(e));
    if (exited && open.has(exited)) {
      out[exited] = (out[exited] ?? 0) + at(e) - open.get(exited)!;
      open.delete(exited);
    }
  }
  return out;
}

/** Sum of the pauses after each `RolloutLocked` failure until the retry was scheduled. */
function lockQueueMs(events: HistoryEvent[]): number {
  let total = 0;
  for (let i = 0; i < events.length - 1; i++) {
    const e = events[i];
    if (e.type === 'TaskFailed' && e.taskFailedEventDetails?.error === 'RolloutLocked') {
      total += at(events[i + 1]) - at(e);
    }
  }
  return total;
}

/**
 * One release run to its end before a level is measured (an older pipeline of inventory-app, so the level's
 * releases are all newer): the sandbox loads each step's handler on its first use, as a Lambda cold start,
 * and the level measures the orchestration of a warm system rather than that one-time load.
 */
async function warmUp(url: string, token: string, ecr: ECRClient, sfn: SFNClient): Promise<void> {
  const sha = randomBytes(20).toString('hex');
  await ecr.send(
    new PutImageCommand({
      repositoryName: 'inventory-app',
      imageTag: sha,
      imageManifest: demoManifest('inventory-app', sha),
    }),
  );
  const d = gitlabDelivery(pipelinePayload({ id: 19999, sha, finished_at: '2026-11-22T07:00:00.000Z' }), {
    token,
  });
  const res = await fetch(`${url}/webhooks/gitlab`, { method: 'POST', headers: d.headers, body: d.body });
  const { executionArn } = (await res.json()) as { executionArn?: string };
  if (!executionArn) throw new Error(`warm-up release not started: HTTP ${res.status}`);
  const voted = new Set<string>();
  for (const until = Date.now() + 60_000; Date.now() < until;) {
    const e = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (e.status !== 'RUNNING') {
      if (e.status !== 'SUCCEEDED') throw new Error(`warm-up release ended ${e.status} ${e.error ?? ''}`);
      return;
    }
    const pending = (await (await fetch(`${url}/_sandbox/api/approvals`)).json()) as {
      approvals: { executionArn: string; reviewUrl?: string; approvers?: { approver: string }[] }[];
    };
    for (const a of pending.approvals.filter((x) => x.executionArn === executionArn && x.reviewUrl)) {
      for (const p of (a.approvers ?? [])
        .filter((p) => !voted.has(`${a.reviewUrl}|${p.approver}`))
        .slice(0, 2)) {
        voted.add(`${a.reviewUrl}|${p.approver}`);
        await decideAs(a.reviewUrl!, p.approver, 'approve', 'bench warm-up');
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('warm-up release did not end within 60 s');
}

async function runLevel(
  workDir: string,
  concurrent: number,
  phaseMs: number,
  log: (line: string) => void,
): Promise<ScalingLevel> {
  const dir = join(workDir, `scaling-${concurrent}`);
  const stateDir = join(dir, 'state');
  mkdirSync(dir, { recursive: true });
  const configFile = writeBenchConfig(dir);
  const config: ShipgateConfig = loadConfig(configFile, {});
  const [port, awsPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const token = `bench-token-${randomBytes(8).toString('hex')}`;
  const sandbox = new SandboxProcess({
    PORT: String(port),
    SHIPGATE_AWS_PORT: String(awsPort),
    SHIPGATE_STATE_DIR: stateDir,
    SHIPGATE_CONFIG: configFile,
    SHIPGATE_WEBHOOK_TOKEN: token,
    SHIPGATE_SANDBOX_PHASE_MS: String(phaseMs),
    // Profiling a level: SHIPGATE_BENCH_CPU_PROF=<dir> writes the sandbox's V8 CPU profile there.
    ...(process.env.SHIPGATE_BENCH_CPU_PROF
      ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.SHIPGATE_BENCH_CPU_PROF}` }
      : {}),
  });
  const client = {
    endpoint: `http://127.0.0.1:${awsPort}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIABENCH00000000000', secretAccessKey: 'bench-not-a-secret' },
    maxAttempts: 3,
  };
  await sandbox.start();
  const notes: string[] = [];
  // Filled in while the level runs (a failed level still reports what it saw).
  const seen: { log: DeploymentLogEntry[]; wallMs: number; cpuMs?: number } = { log: [], wallMs: 0 };
  const rows: ReleaseRow[] = [];
  try {
    const ecr = new ECRClient(client);
    const sfn = new SFNClient(client);
    // Release i goes to service i mod 3; within a service, later pipelines finish later (newer releases).
    const base = Date.parse('2026-11-22T08:00:00Z');
    const planned = Array.from({ length: concurrent }, (_, i) => {
      const project = PROJECTS[i % PROJECTS.length];
      const sha = randomBytes(20).toString('hex');
      return { i, project, sha, finishedAt: new Date(base + i * 1000).toISOString(), pipeline: 20000 + i };
    });
    const digestOf = new Map<string, string>();
    for (const p of planned) {
      const put = await ecr.send(
        new PutImageCommand({
          repositoryName: p.project.service,
          imageTag: p.sha,
          imageManifest: demoManifest(p.project.service, p.sha),
        }),
      );
      digestOf.set(p.sha, put.image?.imageId?.imageDigest ?? '');
    }

    await warmUp(url, token, ecr, sfn);
    const pid = (sandbox as unknown as { child?: { pid?: number } }).child?.pid;
    const started = new Map<string, { sentAt: number; executionArn: string; release: string }>();
    const cpu0 = cpuMsOf(pid);
    const t0 = Date.now();
    await Promise.all(
      planned.map(async (p) => {
        let payload = pipelinePayload({ id: p.pipeline, sha: p.sha, finished_at: p.finishedAt });
        payload = withField(payload, 'project.path_with_namespace', p.project.path);
        payload = withField(payload, 'project.id', p.project.id);
        const d = gitlabDelivery(payload, { token });
        const sentAt = Date.now();
        const res = await fetch(`${url}/webhooks/gitlab`, {
          method: 'POST',
          headers: d.headers,
          body: d.body,
        });
        const body = (await res.json()) as { executionArn?: string; release?: string; error?: string };
        if (res.status !== 202 || !body.executionArn || !body.release) {
          throw new Error(`release ${p.i} was not started: HTTP ${res.status} ${JSON.stringify(body)}`);
        }
        started.set(p.sha, { sentAt, executionArn: body.executionArn, release: body.release });
      }),
    );

    // Approve as soon as links appear; poll until every execution ended (bounded).
    const approvalOpen = new Map<string, { seenAt: number; doneAt?: number; votes: number }>();
    const voted = new Set<string>();
    const inFlight = new Set<Promise<void>>();
    const ended = new Map<string, { status: string; error?: string; stopAt: number }>();
    const deadline = Date.now() + 60_000 + concurrent * 6_000;
    while (ended.size < planned.length && Date.now() < deadline) {
      const pending = (await (await fetch(`${url}/_sandbox/api/approvals`)).json()) as {
        approvals: {
          executionArn: string;
          environment: string;
          reviewUrl?: string;
          approvers?: { approver: string }[];
        }[];
      };
      for (const a of pending.approvals) {
        const key = `${a.executionArn}|${a.environment}`;
        const quorum = config.environments.find((e) => e.name === a.environment)?.approval.quorum ?? 1;
        if (!approvalOpen.has(key) && a.reviewUrl) approvalOpen.set(key, { seenAt: Date.now(), votes: 0 });
        const open = approvalOpen.get(key);
        if (!open) continue;
        for (const p of (a.approvers ?? []).slice(0, quorum)) {
          const votedKey = `${a.reviewUrl}|${p.approver}`;
          if (voted.has(votedKey)) continue;
          voted.add(votedKey);
          const vote = (async () => {
            const code = await decideAs(a.reviewUrl!, p.approver, 'approve', 'bench approval');
            // 409: the approval closed meanwhile (superseded by a newer release): not a failure.
            if (code === 200) {
              open.votes++;
              if (open.votes >= quorum) open.doneAt = Date.now();
            } else if (code !== 409) {
              notes.push(`approving ${a.environment} of ${a.executionArn.split(':').pop()} answered ${code}`);
            }
          })();
          inFlight.add(vote);
          void vote.finally(() => inFlight.delete(vote));
        }
      }
      for (const s of started.values()) {
        if (ended.has(s.executionArn)) continue;
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn: s.executionArn }));
        if (d.status !== 'RUNNING') {
          ended.set(s.executionArn, {
            status: d.status ?? 'UNKNOWN',
            error: d.error,
            stopAt: d.stopDate?.getTime() ?? Date.now(),
          });
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all(inFlight);
    const cpu1 = cpuMsOf(pid);
    if (cpu0 !== undefined && cpu1 !== undefined) seen.cpuMs = cpu1 - cpu0;
    seen.wallMs = Math.max(t0, ...[...ended.values()].map((e) => e.stopAt)) - t0;
    if (ended.size < planned.length)
      notes.push(`${planned.length - ended.size} releases had not ended in time`);

    const records = new Map<string, string>();
    for (const s of started.values()) {
      const r = await fetch(`${url}/api/releases/${encodeURIComponent(s.release)}`);
      records.set(s.release, r.ok ? ((await r.json()) as { status: string }).status : `HTTP ${r.status}`);
    }
    const histories = new Map<string, HistoryEvent[]>();
    for (const s of started.values()) {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new GetExecutionHistoryCommand({ executionArn: s.executionArn, maxResults: 1000, nextToken }),
        );
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      histories.set(s.executionArn, events);
    }
    await sandbox.stop();
    // The emulator's own deployment log, as it persisted it in the state dir on shutdown.
    // Every account's ECS (production lives in its own account: <state>/aws/accounts/<id>/ecs.json).
    const ecsState = ecsStateOfAllAccounts(join(stateDir, 'aws'));
    seen.log = ecsState.deploymentLog ?? [];
    const log_ = seen.log;
    const taskDefinitions = ecsState.taskDefinitions;

    // Which release each deployment belongs to: the digest in its task definition.
    const imagesOf = new Map<string, string>();
    for (const revisions of Object.values(taskDefinitions)) {
      for (const td of revisions) {
        const containers = (td.body.containerDefinitions ?? []) as { image?: string }[];
        imagesOf.set(td.arn, containers.map((c) => c.image ?? '').join(' '));
      }
    }
    const newestOf = new Map<string, (typeof planned)[number]>();
    for (const p of planned) newestOf.set(p.project.service, p);
    const rankOf = new Map<string, number>();
    for (const svc of PROJECTS) {
      planned.filter((p) => p.project.service === svc.service).forEach((p, k) => rankOf.set(p.sha, k + 1));
    }
    for (const p of planned) {
      const s = started.get(p.sha)!;
      const end = ended.get(s.executionArn);
      const events = histories.get(s.executionArn) ?? [];
      const digest = digestOf.get(p.sha)!;
      const rolloutMs = log_
        .filter((e) => e.endedAt && (imagesOf.get(e.taskDefinition) ?? '').includes(digest))
        .reduce((n, e) => n + (e.endedAt! - e.startedAt), 0);
      const approvalMs = [...approvalOpen.entries()]
        .filter(([k, v]) => k.startsWith(`${s.executionArn}|`) && v.doneAt)
        .reduce((n, [, v]) => n + (v.doneAt! - v.seenAt), 0);
      const queued = lockQueueMs(events);
      const wallMs = (end?.stopAt ?? Date.now()) - s.sentAt;
      const record = records.get(s.release) ?? 'unknown';
      const newest = newestOf.get(p.project.service) === p;
      const superseded = ['ApprovalSuperseded', 'ReleaseSuperseded'].includes(end?.error ?? '');
      let why: string | undefined;
      if (!end) why = 'did not end';
      else if (newest && end.status !== 'SUCCEEDED')
        why = `newest release of its service ended ${end.status}`;
      else if (end.status === 'SUCCEEDED' && record !== 'SUCCEEDED') why = `record says ${record}`;
      else if (end.status === 'FAILED' && !(superseded && record === 'SUPERSEDED'))
        why = `failed ${end.error} (record ${record})`;
      else if (!['SUCCEEDED', 'FAILED'].includes(end.status)) why = `ended ${end.status}`;
      rows.push({
        release: s.release,
        service: p.project.service,
        rank: rankOf.get(p.sha) ?? 0,
        newest,
        executionStatus: end?.status ?? 'RUNNING',
        executionError: end?.error,
        recordStatus: record,
        correct: why === undefined,
        why,
        stateTransitions: events.filter((e) => e.type?.endsWith('StateEntered')).length,
        wallMs,
        rolloutMs,
        approvalMs,
        lockQueueMs: queued,
        overheadMs: wallMs - rolloutMs - approvalMs - queued,
        stateMs: stateDurations(events),
      });
    }
    // Each service ends running its newest release's image in every environment (from the emulator).
    for (const [service, p] of newestOf) {
      const digest = digestOf.get(p.sha)!;
      for (const env of config.environments) {
        const svc = Object.values(ecsState.services).find(
          (x) => x.name === service && x.cluster === clusterName(env.name),
        );
        const running = svc?.stableTaskDefinition ? (imagesOf.get(svc.stableTaskDefinition) ?? '') : '';
        if (!running.includes(digest)) {
          notes.push(
            `${service} in ${env.name} does not run the newest release's image ${digest.slice(0, 19)}…`,
          );
          const row = rows.find((r) => r.service === service && r.newest);
          if (row) Object.assign(row, { correct: false, why: `${env.name} does not run its image` });
        }
      }
    }
  } finally {
    await sandbox.stop('SIGKILL').catch(() => undefined);
  }

  const log_ = seen.log;
  const cpuMs = seen.cpuMs;
  const overlapping = log_.filter((e) => e.overlapped.length > 0).length;
  const finalStates: Record<string, number> = {};
  for (const r of rows) finalStates[r.recordStatus] = (finalStates[r.recordStatus] ?? 0) + 1;
  const transitions = rows.map((r) => r.stateTransitions);
  const stateTotals: Record<string, number> = {};
  for (const r of rows)
    for (const [k, v] of Object.entries(r.stateMs)) stateTotals[k] = (stateTotals[k] ?? 0) + v;
  const stateMs = Object.fromEntries(
    Object.entries(stateTotals)
      .map(([k, v]) => [k, Math.round(v / Math.max(rows.length, 1))] as const)
      .sort((a, b) => b[1] - a[1]),
  );
  const level: ScalingLevel = {
    concurrent,
    finalStates,
    correct: rows.filter((r) => r.correct).length,
    deployments: log_.length,
    overlapping,
    transitionsPerRelease: {
      mean: Math.round(mean(transitions) * 10) / 10,
      max: Math.max(0, ...transitions),
    },
    wallMs: seen.wallMs,
    cpuMsPerRelease: cpuMs === undefined ? undefined : Math.round(cpuMs / Math.max(rows.length, 1)),
    perRelease: {
      wallMs: Math.round(mean(rows.map((r) => r.wallMs))),
      rolloutMs: Math.round(mean(rows.map((r) => r.rolloutMs))),
      approvalMs: Math.round(mean(rows.map((r) => r.approvalMs))),
      lockQueueMs: Math.round(mean(rows.map((r) => r.lockQueueMs))),
      overheadMs: Math.round(mean(rows.map((r) => r.overheadMs))),
      overheadP95Ms: Math.round(p95(rows.map((r) => r.overheadMs))),
      overheadWithQueueMs: Math.round(mean(rows.map((r) => r.overheadMs + r.lockQueueMs))),
    },
    stateMs,
    releases: rows,
    notes,
  };
  log(
    `  ${concurrent} concurrent: ${level.correct}/${rows.length} correct (${Object.entries(finalStates)
      .map(([k, v]) => `${v} ${k}`)
      .join(
        ', ',
      )}), ${overlapping}/${log_.length} overlapping deployments, overhead ${level.perRelease.overheadMs} ms/release, sandbox CPU ${level.cpuMsPerRelease ?? '?'} ms/release`,
  );
  for (const r of rows.filter((x) => !x.correct)) log(`    incorrect: ${r.release}: ${r.why}`);
  return level;
}

/**
 * Runs the levels (default 1, 10, 50) one after the other, each in a fresh sandbox.
 * @example await benchScaling(workDir, [1, 10, 50], console.log)
 */
export async function benchScaling(
  workDir: string,
  levels: number[],
  log: (line: string) => void,
  phaseMs = 150,
): Promise<ScalingResults> {
  const results: ScalingLevel[] = [];
  for (const n of levels) results.push(await runLevel(workDir, n, phaseMs, log));
  const first = results.find((l) => l.concurrent === 1);
  const last = results[results.length - 1];
  const ratio = (a?: number, b?: number) =>
    a !== undefined && b !== undefined && b > 0 ? Math.round((a / b) * 100) / 100 : undefined;
  return {
    levels: results,
    phaseMs,
    overheadRatio: ratio(last?.perRelease.overheadMs, first?.perRelease.overheadMs),
    cpuRatio: ratio(last?.cpuMsPerRelease, first?.cpuMsPerRelease),
    overheadWithQueueRatio: ratio(
      last?.perRelease.overheadWithQueueMs,
      first?.perRelease.overheadWithQueueMs,
    ),
  };
}
