import { getConfig, type ShipgateConfig } from '../../shared/config';
import { executionUrl, publicUrl } from '../../shared/links';
import type { Release } from '../../shared/release';
import { getSecret } from '../../shared/secrets';
import {
  gitlabClient,
  gitlabErrorStatus,
  gitlabSettings,
  type GitlabApi,
  type GitlabSettingsDeps,
} from './client';
import { bestEffort, FEEDBACK_RETRY, type BestEffortOptions, type LogSink, defaultLogSink } from './retry';

/**
 * GitLab feedback: a commit status per stage (`shipgate/scan`, `shipgate/<env>`) and a GitLab deployment
 * per environment, so the pipeline page and the Environments page show what Shipgate is doing. Every
 * function here is best effort: it never throws and is bounded in time (see `FEEDBACK_BOUND_MS`); GitLab
 * being down, slow or misconfigured is logged and otherwise ignored. Feedback is off when the GitLab token
 * or URL is not configured.
 */

/** Commit status states GitLab accepts. */
export type CommitState = 'pending' | 'running' | 'success' | 'failed' | 'canceled';
/** Deployment states Shipgate reports. */
export type DeploymentState = 'running' | 'success' | 'failed' | 'canceled';

/** Longest a feedback call may take, all tries included (ms). */
export const FEEDBACK_BOUND_MS = 10_000;

/** Injectable dependencies of the feedback functions. */
export interface FeedbackDeps extends GitlabSettingsDeps {
  /** A ready client; `null` turns feedback off. Default: built from config and secrets. */
  api?: GitlabApi | null;
  config?: ShipgateConfig;
  retry?: Omit<BestEffortOptions, 'deadline'>;
  /** Overall bound of one feedback call in ms (default `FEEDBACK_BOUND_MS`). */
  boundMs?: number;
  logger?: LogSink;
  /** `reportDeployment` with a final state: create a deployment when none is open (default true). */
  createIfMissing?: boolean;
}

/** Options of a commit status. */
export interface StatusOptions {
  description?: string;
  /** Link shown on the status; default: the execution (when `executionArn` is given) or the release API. */
  targetUrl?: string;
  executionArn?: string;
}

async function resolveApi(deps: FeedbackDeps): Promise<GitlabApi | undefined> {
  if (deps.api !== undefined) return deps.api ?? undefined;
  // Token first: with feedback off (no token) nothing else is read, not even the config.
  const env = deps.env ?? process.env;
  const token = await (deps.getSecret ?? ((name) => getSecret(name, env)))('gitlabToken');
  if (!token) return undefined;
  const settings = await gitlabSettings(deps.config ?? getConfig(), deps);
  return settings ? gitlabClient(settings, deps.retry?.timeoutMs ?? FEEDBACK_RETRY.timeoutMs) : undefined;
}

/** Runs `body` with a client, swallowing and logging anything unexpected; `false` when off or failed. */
async function withFeedback(
  operation: string,
  release: Release,
  deps: FeedbackDeps,
  body: (api: GitlabApi, options: BestEffortOptions) => Promise<boolean>,
): Promise<boolean> {
  const log = deps.logger ?? defaultLogSink;
  try {
    const api = await resolveApi(deps);
    if (!api) {
      log.debug?.(`GitLab feedback off (no GitLab URL or token): skipped ${operation}`, {
        release: release.id,
      });
      return false;
    }
    const now = deps.retry?.now ?? Date.now;
    const options: BestEffortOptions = {
      logger: log,
      ...deps.retry,
      deadline: now() + (deps.boundMs ?? FEEDBACK_BOUND_MS),
    };
    return await body(api, options);
  } catch (err) {
    log.warn(
      `GitLab ${operation} skipped: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
      {
        release: release.id,
      },
    );
    return false;
  }
}

/**
 * The execution ARN of a release: the execution is named after the release id, so it follows from the state
 * machine ARN (`SHIPGATE_STATE_MACHINE_ARN`) when a step's payload does not carry it.
 */
export function releaseExecutionArn(
  release: Release,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const machine = env.SHIPGATE_STATE_MACHINE_ARN;
  if (!machine || !machine.includes(':stateMachine:')) return undefined;
  // The HTTP function holds the alias ARN (`…:stateMachine:<name>:live`, issue 31); execution ARNs name the
  // state machine without a qualifier.
  const unqualified = machine.split(':').slice(0, 7).join(':');
  return `${unqualified.replace(':stateMachine:', ':execution:')}:${release.id}`;
}

function defaultTarget(release: Release, options: StatusOptions): string {
  if (options.targetUrl) return options.targetUrl;
  const arn = options.executionArn ?? releaseExecutionArn(release);
  if (arn) return executionUrl(arn);
  return `${publicUrl()}/api/releases/${encodeURIComponent(release.id)}`;
}

/** GitLab's limit of a commit status description (characters). */
export const STATUS_DESCRIPTION_MAX = 255;

/**
 * A commit status description GitLab accepts: whitespace collapsed to single spaces, at most
 * `STATUS_DESCRIPTION_MAX` characters, cut between code points (never inside an emoji or a surrogate pair)
 * and ending in `…` when cut.
 * @example statusDescription('Approved by Alice\n(@alice via GitLab)') // 'Approved by Alice (@alice via GitLab)'
 */
export function statusDescription(text: string): string {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  return chars.length <= STATUS_DESCRIPTION_MAX
    ? chars.join('')
    : `${chars.slice(0, STATUS_DESCRIPTION_MAX - 1).join('')}…`;
}

/**
 * Sets the commit status `shipgate/<stage>` of the release's commit (on the release's pipeline and ref).
 * Never throws; resolves `true` when GitLab accepted it.
 * @example await reportStatus(release, 'production', 'running', { description: 'Rolling out 2 services' });
 */
export async function reportStatus(
  release: Release,
  stage: string,
  state: CommitState,
  options: StatusOptions = {},
  deps: FeedbackDeps = {},
): Promise<boolean> {
  return withFeedback(`commit status shipgate/${stage}=${state}`, release, deps, async (api, retry) => {
    const description = options.description ? statusDescription(options.description) : undefined;
    const result = await bestEffort(
      `commit status shipgate/${stage}`,
      () =>
        api.Commits.editStatus(release.project.id, release.commit.sha, state, {
          name: `shipgate/${stage}`,
          ref: release.ref,
          targetUrl: defaultTarget(release, options),
          ...(description ? { description } : {}),
          pipelineId: release.pipeline.id,
        }).catch((err: unknown) => {
          // GitLab answers 400 "Cannot transition status via :run from :running" when the status already
          // has this state (e.g. a retried step): nothing to do.
          if (
            gitlabErrorStatus(err) === 400 &&
            /cannot transition status/i.test(String((err as Error).message))
          ) {
            return { unchanged: true };
          }
          throw err;
        }),
      { release: release.id, project: release.project.path, stage, state },
      retry,
    );
    return result !== undefined;
  });
}

/**
 * Reports a GitLab deployment of the release's commit to an environment: `running` creates it (or reuses one
 * already created for this commit), a final state moves every open deployment of this commit in that
 * environment to it (creating one when there is none). The deployment is found again by listing, so nothing
 * needs storing between steps. Never throws; resolves `true` when GitLab accepted it.
 * @example await reportDeployment(release, 'staging', 'success');
 */
export async function reportDeployment(
  release: Release,
  environment: string,
  status: DeploymentState,
  deps: FeedbackDeps = {},
): Promise<boolean> {
  return withFeedback(`deployment ${environment}=${status}`, release, deps, async (api, retry) => {
    const context = { release: release.id, project: release.project.path, environment, status };
    const projectId = release.project.id;
    const recent = await bestEffort(
      `deployment lookup (${environment})`,
      () =>
        api.Deployments.all(projectId, {
          environment,
          orderBy: 'id',
          sort: 'desc',
          perPage: 20,
          page: 1,
        }),
      context,
      retry,
    );
    const open = (recent ?? []).filter(
      (d) => d.sha === release.commit.sha && (d.status === 'created' || d.status === 'running'),
    );
    if (status === 'running' && open.some((d) => d.status === 'running')) return true;
    if (open.length > 0) {
      const edited = await Promise.all(
        open.map((d) =>
          bestEffort(
            `deployment update (${environment})`,
            () => api.Deployments.edit(projectId, d.id, status),
            { ...context, deployment: d.id },
            retry,
          ),
        ),
      );
      return edited.every((e) => e !== undefined);
    }
    if (deps.createIfMissing === false) return true;
    if (recent === undefined) {
      // The lookup failed: creating blindly could leave duplicates; GitLab is struggling anyway.
      return false;
    }
    const created = await bestEffort(
      `deployment create (${environment})`,
      () =>
        api.Deployments.create(projectId, environment, release.commit.sha, release.ref, release.tag, {
          status,
        }),
      context,
      retry,
    );
    return created !== undefined;
  });
}
