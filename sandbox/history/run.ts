import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ShipgateConfig } from '../../lambdas/shared/config';
import { DemoError } from '../demo';
import { startSandbox } from '../sandbox';
import { SimulatedClock } from './clock';
import { startHistoryGitlab } from './gitlab';
import {
  driveRelease,
  follow,
  rollBackByHand,
  sandboxClients,
  type DriveContext,
  type DrivenRelease,
} from './drive';
import { allPlanned, hasPauses, planHistory, type HistoryPlan, type PlannedRelease } from './plan';

/** Options of `runHistory`. */
export interface HistoryOptions {
  config: ShipgateConfig;
  configPath: string;
  /** A state dir without releases yet (the history is the sandbox's past). */
  stateDir: string;
  days: number;
  /** PRNG seed: the same seed plans the same history. @default 1 */
  seed?: number;
  /** Real ms of each emulated rollout phase (`SHIPGATE_SANDBOX_PHASE_MS`). @default 50 */
  phaseMs?: number;
  /**
   * Simulated ms per real ms while releases run. Kept low on purpose: Shipgate bounds some waits by the
   * clock (GitLab feedback gives up after 10 s, a rollout after `rollout.timeout`), and those bounds must keep
   * their meaning against real work. @default 20
   */
  warp?: number;
  /** End of the window (epoch ms). @default the real time now */
  end?: number;
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
  /** @default 0 (any free port) */
  awsPort?: number;
  env?: NodeJS.ProcessEnv;
  print: (line: string) => void;
}

/** A manual rollback the generator asked for. */
export interface HistoryRollback {
  at: string;
  service: string;
  environment: string;
  status: string;
}

/** What the generator did. */
export interface HistoryResult {
  plan: HistoryPlan;
  releases: DrivenRelease[];
  rollbacks: HistoryRollback[];
  /** Real time the generation took (ms). */
  realMs: number;
}

type Job =
  | { at: number; kind: 'release'; plan: PlannedRelease }
  | { at: number; kind: 'rollback'; driven: DrivenRelease };

/** Refuses a state dir that already holds releases: the generated history must be the sandbox's past. */
export function assertFreshStateDir(stateDir: string): void {
  const used = ['aws/executions', 'dynamodb'].filter((d) => {
    const dir = join(stateDir, d);
    return existsSync(dir) && readdirSync(dir).length > 0;
  });
  if (used.length) {
    throw new DemoError(
      `The state dir ${stateDir} already holds a sandbox's data (${used.join(', ')}); --history writes a past and needs a new one. Use another SHIPGATE_STATE_DIR (e.g. SHIPGATE_STATE_DIR=.shipgate-history) or remove that directory.`,
    );
  }
}

const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/**
 * Fills a new sandbox with `days` of plausible delivery history through the real code paths (ECR pushes,
 * GitLab pipeline webhooks, approval links, ECS rollouts and circuit-breaker rollbacks, smoke checks,
 * manual rollbacks via POST /api/rollbacks, supersedes), while a simulated clock (`SimulatedClock`) makes
 * every record carry its day in the past. Starts its own sandbox in this process (the clock must be the
 * sandbox's) and stops it at the end; `npm start` on the same state dir then shows the history.
 */
export async function runHistory(o: HistoryOptions): Promise<HistoryResult> {
  assertFreshStateDir(o.stateDir);
  const frozen = o.config.environments.filter((e) => (e.freezes ?? []).length > 0).map((e) => e.name);
  if (frozen.length) {
    // A Wait state's timer is real time: a release held by a freeze would wait hours of real time.
    throw new DemoError(
      `--history needs a config without deploy freezes (${frozen.join(', ')} has some): the Step Functions Wait that holds a release until a freeze ends runs on real time. Point SHIPGATE_CONFIG at a copy without "freezes".`,
    );
  }
  const t0 = performance.now();
  const end = o.end ?? Date.now();
  const plan = planHistory(o.config, o.days, end, o.seed ?? 1);
  const phaseMs = o.phaseMs ?? 50;
  const warp = o.warp ?? 20;
  const count = allPlanned(plan).length;
  o.print(
    `Planned ${count} releases over ${o.days} days (${stamp(plan.start)} → ${stamp(plan.end)} UTC, seed ${plan.seed}); one rollout phase = ${phaseMs} ms, simulated time runs ${warp}× real time between the planned events.`,
  );
  const env = o.env ?? process.env;
  // The Lambdas' info logs would bury the progress lines (and cost time); warnings still show.
  process.env.SHIPGATE_LOG_LEVEL = env.SHIPGATE_LOG_LEVEL ?? 'WARN';
  const clock = new SimulatedClock(plan.start, warp, end);
  clock.install();
  const releases: DrivenRelease[] = [];
  const rollbacks: HistoryRollback[] = [];
  const gitlab = await startHistoryGitlab(o.config, plan);
  try {
    const sandbox = await startSandbox({
      config: o.config,
      configPath: o.configPath,
      stateDir: o.stateDir,
      host: o.host,
      port: o.port ?? 0,
      awsPort: o.awsPort ?? 0,
      // Releases come from the history GitLab, which knows the planned commits and their times.
      env: { ...env, SHIPGATE_GITLAB_URL: gitlab.url, SHIPGATE_GITLAB_TOKEN: gitlab.token },
      phaseMs,
      // People "take" simulated minutes to decide a pause (the clock jumps); its deadline is simulated time
      // too, at least 30 minutes ahead, and the generator moves the clock past it for a planned timeout.
      humanWaitMs: 30 * 60_000,
    });
    try {
      const ctx: DriveContext = {
        config: o.config,
        url: sandbox.url,
        awsEndpoint: sandbox.awsEndpoint,
        webhookToken: sandbox.webhookToken,
        signingKey: env.SHIPGATE_WEBHOOK_SIGNING_KEY || undefined,
        clock,
        ...sandboxClients(sandbox.awsEndpoint),
        pollMs: 15,
        timeoutMs: 60_000,
      };
      await drive(ctx, plan, releases, rollbacks, o.print);
    } finally {
      await sandbox.close('The history was generated');
    }
  } finally {
    clock.uninstall();
    await gitlab.close();
  }
  const realMs = performance.now() - t0;
  const tally = new Map<string, number>();
  for (const r of releases) {
    const key = r.status === 'SUCCEEDED' ? 'SUCCEEDED' : `${r.status} (${r.error ?? 'no error'})`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  o.print(
    `Generated ${releases.length} releases and ${rollbacks.length} manual rollbacks in ${(realMs / 1000).toFixed(1)} s: ${[...tally].map(([k, v]) => `${v} ${k}`).join(', ')}.`,
  );
  return { plan, releases, rollbacks, realMs };
}

/** Runs the planned jobs in simulated-time order (a job due while another ran starts right after it). */
async function drive(
  ctx: DriveContext,
  plan: HistoryPlan,
  releases: DrivenRelease[],
  rollbacks: HistoryRollback[],
  print: (line: string) => void,
): Promise<void> {
  const envs = ctx.config.environments;
  const last = envs[envs.length - 1].name;
  const queue: Job[] = plan.releases.map((p) => ({ at: p.at, kind: 'release' as const, plan: p }));
  let pipelineId = 7000;
  // A hotfix follows its failure (and the rollback by hand), at its planned time or an hour later.
  const hotfix = (failed: PlannedRelease) => {
    const fix = failed.followUp;
    if (fix)
      queue.push({ at: Math.max(fix.at, ctx.clock.now() + 60 * 60 * 1000), kind: 'release', plan: fix });
  };
  const report = (r: DrivenRelease) => {
    releases.push(r);
    const paused = r.plan.services.some((s) => hasPauses(ctx.config, s, last));
    const tags = [
      r.plan.hotfix ? 'hotfix' : '',
      r.plan.fault !== 'none' ? r.plan.fault : '',
      paused && r.plan.pause !== 'continue' ? `pause ${r.plan.pause}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    print(
      `${stamp(ctx.clock.now())}  ${r.plan.project} ${r.plan.sha.slice(0, 8)}${tags ? ` (${tags})` : ''} → ${r.status}${r.error ? ` ${r.error}` : ''}`,
    );
  };
  while (queue.length) {
    queue.sort((a, b) => a.at - b.at);
    const job = queue.shift()!;
    if (job.kind === 'rollback') {
      ctx.clock.jumpTo(job.at);
      const running = (await (await fetch(`${ctx.url}/_sandbox/api/environments`)).json()) as {
        environments: { environment: string; service: string; digest: string }[];
      };
      for (const service of job.driven.plan.services) {
        const now = running.environments.find((e) => e.environment === last && e.service === service);
        // A later release of the service replaced it meanwhile: rolling back would undo the wrong one.
        if (now?.digest !== job.driven.digests[service]) continue;
        const status = await rollBackByHand(ctx, service, last, `Errors after ${job.driven.plan.title}`);
        rollbacks.push({ at: new Date(ctx.clock.now()).toISOString(), service, environment: last, status });
        print(`${stamp(ctx.clock.now())}  rollback by hand of ${service} in ${last} → ${status}`);
      }
      hotfix(job.driven.plan);
      continue;
    }
    const p = job.plan;
    if (p.supersededBy) {
      // Wait at the last gate, then a newer release of the project supersedes it there.
      const older = await driveRelease(ctx, p, pipelineId++, last);
      if (older.status === 'RUNNING') {
        report(await driveRelease(ctx, p.supersededBy, pipelineId++));
        report(await follow(ctx, older));
      } else report(older);
      continue;
    }
    const done = await driveRelease(ctx, p, pipelineId++);
    report(done);
    if (p.fault === 'manual-rollback' && done.status === 'SUCCEEDED') {
      queue.push({ at: ctx.clock.now() + (p.rollbackAfterMs ?? 0), kind: 'rollback', driven: done });
    } else hotfix(p);
  }
}
