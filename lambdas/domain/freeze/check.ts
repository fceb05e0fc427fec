import { getConfig, getEnvironment, type ShipgateConfig } from '../../shared/config';
import type { Release } from '../../shared/release';
import { gitlabClient, gitlabSettings, type GitlabApi } from '../gitlab/client';
import { bestEffort, type BestEffortOptions, type LogSink, defaultLogSink } from '../gitlab/retry';
import { DeployFrozen, freezeState, validateWindow, type FreezeState, type FreezeWindow } from './windows';

/** Payload of "Check freeze <env>". */
export interface CheckFreezePayload {
  environment: string;
  release: Release;
}

/** Injectable dependencies of `checkFreeze`. */
export interface CheckFreezeDeps {
  config?: ShipgateConfig;
  /** GitLab client; `null` = ignore GitLab freeze periods. Default: from config and secrets. */
  gitlab?: GitlabApi | null;
  now?: () => number;
  retry?: Omit<BestEffortOptions, 'deadline'>;
  logger?: LogSink;
}

/** Longest time spent asking GitLab for freeze periods, all tries included (ms). */
export const FREEZE_LOOKUP_BOUND_MS = 10_000;

/**
 * The project's GitLab freeze periods as windows (`FreezePeriods.all(projectId)`), or `undefined` when GitLab
 * could not be asked (logged; the bounded retries of `bestEffort` apply).
 */
export async function gitlabFreezeWindows(
  api: GitlabApi,
  projectId: number | string,
  options: BestEffortOptions = {},
  log: LogSink = defaultLogSink,
): Promise<FreezeWindow[] | undefined> {
  const periods = await bestEffort(
    'freeze periods lookup',
    () => api.FreezePeriods.all(projectId),
    { project: projectId },
    { logger: log, ...options },
  );
  if (!periods) return undefined;
  const windows: FreezeWindow[] = [];
  for (const p of periods) {
    const window: FreezeWindow = {
      name: `GitLab freeze period ${p.id}`,
      start: p.freeze_start,
      end: p.freeze_end,
      timezone: p.cron_timezone || 'UTC',
      source: 'gitlab',
    };
    try {
      validateWindow(window);
      windows.push(window);
    } catch (err) {
      log.warn(`ignoring GitLab freeze period ${p.id}: ${(err as Error).message}`, { project: projectId });
    }
  }
  return windows;
}

/**
 * Whether `environment` is frozen for this release now: the environment's config windows plus the project's
 * GitLab freeze periods (GitLab's apply to every environment of the project, like GitLab's own
 * `CI_DEPLOY_FREEZE`). When GitLab cannot be reached within the bound its periods are skipped with a warning:
 * an unreachable GitLab never blocks a release, the config windows still apply.
 * @throws DeployFrozen when frozen and the environment's `onFreeze` is `fail`.
 * @throws ConfigError when a config window has an invalid cron expression or time zone.
 */
export async function checkFreeze(
  payload: CheckFreezePayload,
  deps: CheckFreezeDeps = {},
): Promise<FreezeState> {
  const config = deps.config ?? getConfig();
  const log = deps.logger ?? defaultLogSink;
  const now = deps.now ?? Date.now;
  const env = getEnvironment(config, payload.environment);
  const windows: FreezeWindow[] = env.freezes.map((f, i) => ({
    name: f.name ?? `${env.name} freeze ${i + 1}`,
    start: f.start,
    end: f.end,
    timezone: f.timezone,
    source: 'config',
  }));
  windows.forEach(validateWindow);

  let api = deps.gitlab;
  if (api === undefined) {
    const settings = await gitlabSettings(config).catch((err: unknown) => {
      log.warn(
        `GitLab freeze periods skipped: the GitLab token could not be read (${(err as Error).message})`,
        {
          release: payload.release.id,
        },
      );
      return undefined;
    });
    api = settings ? gitlabClient(settings, deps.retry?.timeoutMs ?? 3000) : null;
  }
  if (api) {
    const fromGitlab = await gitlabFreezeWindows(
      api,
      payload.release.project.id,
      { ...deps.retry, now, deadline: now() + FREEZE_LOOKUP_BOUND_MS },
      log,
    );
    if (fromGitlab) windows.push(...fromGitlab);
  }

  const state = freezeState(windows, new Date(now()));
  if (state.frozen) {
    log.info?.('environment frozen', {
      release: payload.release.id,
      environment: env.name,
      until: state.until,
    });
    if (env.onFreeze === 'fail') {
      throw new DeployFrozen(
        `${env.name} is frozen. ${state.reason}. The environment's onFreeze policy is "fail".`,
      );
    }
    return { ...state, reason: `${env.name}: ${state.reason}` };
  }
  return state;
}
