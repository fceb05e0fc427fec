import { logger as defaultLogger } from '../../shared/logger';
import { describeGitlabError, gitlabErrorStatus } from './client';

/** The logging Shipgate's GitLab code needs; the Powertools logger fits, tests pass their own. */
export interface LogSink {
  warn(message: string, attributes?: Record<string, unknown>): void;
  info?(message: string, attributes?: Record<string, unknown>): void;
  debug?(message: string, attributes?: Record<string, unknown>): void;
}

/** The process logger (Powertools) as a `LogSink`. */
export const defaultLogSink: LogSink = {
  warn: (message, attributes) => defaultLogger.warn(message, attributes ?? {}),
  info: (message, attributes) => defaultLogger.info(message, attributes ?? {}),
  debug: (message, attributes) => defaultLogger.debug(message, attributes ?? {}),
};

/** Bounds of a best-effort GitLab call. */
export interface BestEffortOptions {
  /** Tries in all (default 3). */
  attempts?: number;
  /** Per-try timeout in ms (default 3000). */
  timeoutMs?: number;
  /** First pause between tries in ms, doubled each time (default 500). */
  backoffMs?: number;
  /** Absolute time (epoch ms) after which no new try starts and a running one is abandoned. */
  deadline?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  logger?: LogSink;
}

/** Default bounds: 3 tries of at most 3 s with 0.5 s and 1 s pauses, under 10.5 s in the worst case. */
export const FEEDBACK_RETRY: Required<Pick<BestEffortOptions, 'attempts' | 'timeoutMs' | 'backoffMs'>> = {
  attempts: 3,
  timeoutMs: 3000,
  backoffMs: 500,
};

/** A GitLab call that did not answer within its time. */
export class GitlabTimeoutError extends Error {
  constructor(ms: number) {
    super(`GitLab did not answer within ${ms} ms`);
    this.name = 'GitlabTimeoutError';
  }
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** 4xx answers other than 408/429 will not change on retry (bad request, no permission, invalid transition). */
function retryable(err: unknown): boolean {
  const status = gitlabErrorStatus(err);
  return status === undefined || status >= 500 || status === 408 || status === 429;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GitlabTimeoutError(ms)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs a GitLab call that must never fail or stall a release: each try is cut off after `timeoutMs`, failed
 * tries (network errors, timeouts, 5xx, 429) are retried with exponential backoff within `attempts` and
 * `deadline`, and a final failure is logged (operation and error only, never the token) and swallowed.
 * @returns the call's result, or `undefined` when it failed.
 * @example await bestEffort('commit status', () => api.Commits.editStatus(id, sha, 'running', opts));
 */
export async function bestEffort<T>(
  operation: string,
  call: () => Promise<T>,
  context: Record<string, unknown> = {},
  options: BestEffortOptions = {},
): Promise<T | undefined> {
  const {
    attempts = FEEDBACK_RETRY.attempts,
    timeoutMs = FEEDBACK_RETRY.timeoutMs,
    backoffMs = FEEDBACK_RETRY.backoffMs,
    deadline = Number.POSITIVE_INFINITY,
    sleep = defaultSleep,
    now = Date.now,
    logger = defaultLogSink,
  } = options;
  let lastError: unknown;
  let tries = 0;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const left = deadline - now();
    if (left <= 0) break;
    tries += 1;
    try {
      return await withTimeout(Promise.resolve().then(call), Math.max(1, Math.min(timeoutMs, left)));
    } catch (err) {
      lastError = err;
      if (!retryable(err)) break;
    }
    if (attempt < attempts - 1) {
      const pause = Math.min(backoffMs * 2 ** attempt, Math.max(0, deadline - now()));
      if (pause > 0) await sleep(pause);
    }
  }
  logger.warn(`GitLab ${operation} failed; continuing without it`, {
    ...context,
    tries,
    error: lastError === undefined ? 'deadline reached before trying' : describeGitlabError(lastError),
  });
  return undefined;
}
