import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  StartExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { sfn as defaultSfn } from '../../shared/clients/sfn';
import { stateMachineArn as defaultStateMachineArn } from '../../shared/env';
import { ConflictError, ShipgateError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import type { ReleaseInput } from '../../shared/release';
import { executionArnFor } from './naming';
import { createRelease, updateRelease, type StoreDeps } from './store';

/** A started (or already running) release. */
export interface StartedRelease {
  /** Release id (= execution name). */
  release: string;
  /** Execution name. */
  execution: string;
  executionArn: string;
  /** ISO start time as Step Functions reports it. */
  startDate?: string;
}

/** StartExecution kept failing after the retries (503: GitLab shows it; "Resend request" retries safely). */
export class StartExecutionFailed extends ShipgateError {
  static override readonly errorName: string = 'StartExecutionFailed';
  override readonly status: number = 503;
}

/** Dependencies of {@link startRelease}. */
export interface StartReleaseDeps extends StoreDeps {
  sfn?: Pick<SFNClient, 'send'>;
  stateMachineArn?: string;
  /** Attempts of StartExecution on throttling / 5xx (each already retried by the SDK client). */
  maxAttempts?: number;
  /** Stop retrying after this long (ms), to answer well inside GitLab's 10 s timeout. */
  budgetMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** Whether an AWS SDK error is worth another attempt (throttling, 5xx, network). */
export function isRetryable(err: unknown): boolean {
  const e = err as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  if (!e || typeof e !== 'object') return false;
  if (e.$retryable) return true;
  if ((e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return RETRYABLE_NAMES.has(e.name ?? '') || RETRYABLE_NAMES.has(e.code ?? '');
}

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Canonical JSON (sorted keys), to compare two inputs regardless of key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Starts the release workflow for an input, exactly once per release id:
 *
 * 1. creates the release item (idempotent) so step Lambdas and the API can find it at once;
 * 2. StartExecution with name = release id. Same name + same input answers the same execution (Step
 *    Functions idempotency); throttling and 5xx are retried with full-jitter backoff within a time budget;
 * 3. `ExecutionAlreadyExists` (the execution exists and is closed, or has another input): when its input is
 *    the same this is the same release and is answered as such; otherwise a {@link ConflictError} (409).
 *
 * Never waits on the workflow.
 * @throws ConflictError when an execution of that name exists with different input.
 * @throws StartExecutionFailed when Step Functions kept failing; the release item then says FAILED.
 * @example const started = await startRelease(buildReleaseInput(event, project, config, decision));
 */
export async function startRelease(
  input: ReleaseInput,
  deps: StartReleaseDeps = {},
): Promise<StartedRelease> {
  const {
    sfn = defaultSfn,
    stateMachineArn = defaultStateMachineArn(),
    maxAttempts = 5,
    budgetMs = 6000,
    sleep = sleepMs,
    random = Math.random,
  } = deps;
  const name = input.release.id;
  const executionArn = executionArnFor(stateMachineArn, name);
  const inputJson = JSON.stringify(input);
  const { record, created } = await createRelease({ release: input.release, executionArn }, deps);

  const deadline = Date.now() + budgetMs;
  let attempt = 0;
  for (;;) {
    attempt++;
    try {
      // Bound each attempt by the remaining budget: a hung connection must not outlive GitLab's 10 s timeout.
      const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: inputJson }), {
        abortSignal: AbortSignal.timeout(Math.max(500, deadline - Date.now())),
      });
      if (!created && record.status === 'FAILED' && record.error?.error === StartExecutionFailed.name) {
        // An earlier delivery could not start it; this one did, so the release is running after all.
        await updateRelease(name, { status: 'RUNNING', error: null }, deps);
      }
      return {
        release: name,
        execution: name,
        executionArn: out.executionArn ?? executionArn,
        ...(out.startDate ? { startDate: new Date(out.startDate).toISOString() } : {}),
      };
    } catch (err) {
      if (err instanceof ExecutionAlreadyExists || (err as Error)?.name === 'ExecutionAlreadyExists') {
        return resolveExisting(name, executionArn, input, { sfn });
      }
      const backoff = Math.floor(random() * Math.min(2000, 100 * 2 ** attempt));
      if (!isRetryable(err) || attempt >= maxAttempts || Date.now() + backoff > deadline) {
        logger.error('StartExecution failed', { release: name, attempt, error: err as Error });
        const failure = new StartExecutionFailed(
          `Could not start execution ${name} after ${attempt} attempt(s): ${(err as Error).message}. The delivery can be resent from GitLab; it will start the same release.`,
          { cause: err },
        );
        const failedToStart = record.status === 'FAILED' && record.error?.error === StartExecutionFailed.name;
        // Only a release this delivery created (or one that never started) is marked FAILED: a redelivery of a
        // release already running must not fail it because its own StartExecution call failed.
        if (created || failedToStart) {
          await updateRelease(
            name,
            {
              status: 'FAILED',
              error: { error: failure.name, cause: failure.message },
              ifStatus: ['RUNNING', 'FAILED'],
            },
            deps,
          ).catch((e: unknown) => logger.warn('Could not mark the release FAILED', { error: e as Error }));
        }
        throw failure;
      }
      logger.warn('StartExecution throttled or failed; retrying', { release: name, attempt, backoff });
      await sleep(backoff);
    }
  }
}

async function resolveExisting(
  name: string,
  executionArn: string,
  input: ReleaseInput,
  { sfn }: { sfn: Pick<SFNClient, 'send'> },
): Promise<StartedRelease> {
  const existing = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  let same: boolean;
  try {
    same = canonicalJson(JSON.parse(existing.input ?? 'null')) === canonicalJson(input);
  } catch {
    same = false; // unreadable input cannot be ours
  }
  if (!same) {
    throw new ConflictError(
      `Execution ${name} already exists with a different input (status ${existing.status ?? 'unknown'}): pipeline ${input.release.pipeline.id} of ${input.release.project.path} was already released from an earlier event (for example before a retried job or a config change). Shipgate starts one release per pipeline; run a new pipeline to release again.`,
    );
  }
  return {
    release: name,
    execution: name,
    executionArn: existing.executionArn ?? executionArn,
    ...(existing.startDate ? { startDate: new Date(existing.startDate).toISOString() } : {}),
  };
}
