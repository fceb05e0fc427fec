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
import { logger } from '../../shared/logger';
import {
  getRelease,
  listReleases,
  TERMINAL_STATUSES,
  type EnvironmentOutcome,
  type ReleaseError,
  type ReleaseRecord,
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

const EXECUTION_TO_RELEASE: Partial<Record<string, ReleaseStatus>> = {
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  TIMED_OUT: 'FAILED',
  ABORTED: 'ABORTED',
};

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

/** The latest state entered, from a newest-first history page. */
function latestStateEntered(events: HistoryEvent[]): string | undefined {
  for (const e of events) {
    if (e.type?.endsWith('StateEntered') && e.stateEnteredEventDetails?.name) {
      return e.stateEnteredEventDetails.name;
    }
  }
  return undefined;
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
    const [described, history] = await Promise.all([
      sfn.send(new DescribeExecutionCommand({ executionArn: record.executionArn })),
      sfn.send(
        new GetExecutionHistoryCommand({
          executionArn: record.executionArn,
          reverseOrder: true,
          maxResults: 100,
          includeExecutionData: false,
        }),
      ),
    ]);
    const executionStatus = described.status;
    const step = latestStateEntered(history.events ?? []);
    view.execution = {
      ...view.execution,
      ...(executionStatus ? { status: executionStatus } : {}),
      ...(described.startDate ? { startDate: new Date(described.startDate).toISOString() } : {}),
      ...(described.stopDate ? { stopDate: new Date(described.stopDate).toISOString() } : {}),
    };
    const finished = executionStatus ? EXECUTION_TO_RELEASE[executionStatus] : undefined;
    if (!TERMINAL_STATUSES.includes(record.status) && finished) view.status = finished;
    if (view.status === 'RUNNING') view.currentStep = step ?? view.currentStep;
    else view.currentStep = view.currentStep ?? step ?? null;
    if (!view.error && described.error) {
      view.error = { error: described.error, ...(described.cause ? { cause: described.cause } : {}) };
    }
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
  return {
    releases: page.releases.map((r) => toView(r, deps.env)),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  };
}
