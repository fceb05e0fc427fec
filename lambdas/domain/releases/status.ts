import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type ExecutionStatus,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { sfn as defaultSfn } from '../../shared/clients/sfn';
import { NotFoundError } from '../../shared/errors';
import { executionUrl, publicUrl } from '../../shared/links';
import { deriveRelease } from './derive';
import { logger } from '../../shared/logger';
import {
  getRelease,
  listReleases,
  type EnvironmentOutcome,
  type ReleaseError,
  type ReleaseRecord,
  type ReleasePauseEvent,
  type ReleaseRollback,
  type ReleaseStatus,
  type StoreDeps,
} from './store';

/** A release as the releases API shows it. */
export interface ReleaseView {
  id: string;
  status: ReleaseStatus;
  /** The state the release is in (or ended in), e.g. "Approve production"; null when unknown. */
  currentStep: string | null;
  project: ReleaseRecord['release']['project'];
  commit: ReleaseRecord['release']['commit'];
  ref: string;
  tag: boolean;
  pipeline: ReleaseRecord['release']['pipeline'];
  triggeredBy: ReleaseRecord['release']['triggeredBy'];
  services: string[];
  /** Every configured environment of the release, in order; PENDING until a step records an outcome. */
  environments: Array<
    { name: string } & Partial<EnvironmentOutcome> & { status: EnvironmentOutcome['status'] }
  >;
  error?: ReleaseError;
  /** Manual rollbacks that undid this release somewhere (who, when, from, to, why). */
  rollbacks?: ReleaseRollback[];
  /** Rollout pauses (ECS PAUSE hooks): each pause, decision and timeout, oldest first. */
  pauses?: ReleasePauseEvent[];
  createdAt: string;
  updatedAt: string;
  execution: {
    name: string;
    arn: string;
    /** Step Functions' own status (detail view only). */
    status?: ExecutionStatus;
    startDate?: string;
    stopDate?: string;
  };
  links: { self: string; execution: string; pipeline?: string; commit?: string; project?: string };
  /** Detail view: whether Step Functions could be asked; when not, the stored state is shown. */
  live?: { ok: true } | { ok: false; error: string };
}

/** Dependencies of the status functions. */
export interface StatusDeps extends StoreDeps {
  sfn?: Pick<SFNClient, 'send'>;
  env?: NodeJS.ProcessEnv;
}

/** Builds the API view of a stored release (no Step Functions call). */
export function toView(record: ReleaseRecord, env: NodeJS.ProcessEnv = process.env): ReleaseView {
  const r = record.release;
  return {
    id: record.id,
    status: record.status,
    currentStep: record.currentStep ?? null,
    project: r.project,
    commit: r.commit,
    ref: r.ref,
    tag: r.tag,
    pipeline: r.pipeline,
    triggeredBy: r.triggeredBy,
    services: r.services,
    environments: r.environments.map((name) => ({
      name,
      ...(record.environments?.[name] ?? { status: 'PENDING' as const }),
    })),
    ...(record.error ? { error: record.error } : {}),
    ...(record.rollbacks?.length ? { rollbacks: record.rollbacks } : {}),
    ...(record.pauses?.length ? { pauses: record.pauses } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    execution: { name: record.id, arn: record.executionArn },
    links: {
      self: `${publicUrl(env)}/api/releases/${encodeURIComponent(record.id)}`,
      execution: executionUrl(record.executionArn, env),
      ...(r.pipeline.url ? { pipeline: r.pipeline.url } : {}),
      ...(r.commit.url ? { commit: r.commit.url } : {}),
      ...(r.project.webUrl ? { project: r.project.webUrl } : {}),
    },
  };
}

/** Pages of history read for one release (1000 events each; a release has a few hundred at most). */
const MAX_HISTORY_PAGES = 10;

/** The whole history of an execution, oldest first. */
async function fullHistory(sfn: Pick<SFNClient, 'send'>, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
    const out = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 1000,
        includeExecutionData: false,
        nextToken,
      }),
    );
    events.push(...(out.events ?? []));
    nextToken = out.nextToken;
    if (!nextToken) break;
  }
  return events;
}

/**
 * Refines a view with what the execution itself says: status, current step and each environment's state
 * are derived from its history (`deriveRelease`), so they cannot contradict it. The stored record adds what
 * the history does not hold: digests, approvers, details, and manual rollbacks (which happen after the
 * execution ended and win over its DEPLOYED).
 */
async function refine(view: ReleaseView, record: ReleaseRecord, sfn: Pick<SFNClient, 'send'>): Promise<void> {
  const [described, history] = await Promise.all([
    sfn.send(new DescribeExecutionCommand({ executionArn: record.executionArn })),
    fullHistory(sfn, record.executionArn),
  ]);
  const derived = deriveRelease(history, record.release.environments, described.status);
  view.execution = {
    ...view.execution,
    ...(described.status ? { status: described.status } : {}),
    ...(described.startDate ? { startDate: new Date(described.startDate).toISOString() } : {}),
    ...(described.stopDate ? { stopDate: new Date(described.stopDate).toISOString() } : {}),
  };
  view.status = derived.status;
  view.currentStep = derived.currentStep ?? view.currentStep;
  view.environments = view.environments.map((env) => {
    const stored = record.environments?.[env.name];
    const live = derived.environments[env.name];
    const manuallyRolledBack =
      stored?.status === 'ROLLED_BACK' && record.rollbacks?.some((r) => r.environment === env.name);
    if (!live || manuallyRolledBack || stored?.afterRelease) return env;
    return {
      name: env.name,
      ...(stored?.digests ? { digests: stored.digests } : {}),
      ...(stored?.at ? { at: stored.at } : {}),
      status: live.status,
      ...(stored?.status === live.status && stored.detail
        ? { detail: stored.detail }
        : live.detail
          ? { detail: live.detail }
          : {}),
    };
  });
  if (derived.error) view.error = derived.error;
  else if (!view.error && described.error) {
    view.error = { error: described.error, ...(described.cause ? { cause: described.cause } : {}) };
  }
}

/**
 * One release with its live state: the stored record refined by DescribeExecution (status, error) and
 * GetExecutionHistory (the state it is in). When Step Functions cannot be reached the stored state is
 * returned with `live.ok = false`.
 * @throws NotFoundError for an unknown id.
 * @example const view = await describeRelease('inventory-app-p4711-1a2b3c4d5e6f');
 */
export async function describeRelease(id: string, deps: StatusDeps = {}): Promise<ReleaseView> {
  const { sfn = defaultSfn, env = process.env } = deps;
  const record = /^[A-Za-z0-9_-]{1,80}$/.test(id) ? await getRelease(id, deps) : undefined;
  if (!record) {
    throw new NotFoundError(
      `No release "${id.slice(0, 100)}". Release ids are execution names such as inventory-app-p4711-1a2b3c4d5e6f; GET /api/releases lists them.`,
    );
  }
  const view = toView(record, env);
  try {
    await refine(view, record, sfn);
    view.live = { ok: true };
  } catch (err) {
    logger.warn('Could not read the execution; showing the stored release', {
      release: id,
      error: err as Error,
    });
    view.live = { ok: false, error: `Step Functions could not be asked: ${(err as Error).message}` };
  }
  return view;
}

/**
 * Releases newest first, from the store only (no Step Functions call per release).
 * @example const { releases, nextCursor } = await listReleaseViews({ limit: 20 });
 */
export async function listReleaseViews(
  options: { limit?: number; cursor?: string } = {},
  deps: StatusDeps = {},
): Promise<{ releases: ReleaseView[]; nextCursor?: string }> {
  const page = await listReleases(options, deps);
  const sfn = deps.sfn ?? defaultSfn;
  const views = await Promise.all(
    page.releases.map(async (r) => {
      const view = toView(r, deps.env);
      // A running release moves on without writing to its record: ask its execution (best effort).
      if (r.status === 'RUNNING' || view.environments.some((e) => e.status === 'AWAITING_APPROVAL')) {
        try {
          await refine(view, r, sfn);
        } catch (err) {
          logger.warn('Could not read the execution; listing the stored release', {
            release: r.id,
            error: (err as Error)?.name,
          });
        }
      }
      return view;
    }),
  );
  return {
    releases: views,
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  };
}
