import type { ExecutionStatus, HistoryEvent } from '@aws-sdk/client-sfn';
import type { EnvironmentStatus, ReleaseError, ReleaseStatus } from './store';

/**
 * A release's state as its execution's own history says it: overall status, the state it is in, and per
 * environment where it got to. Derived, never stored, so it cannot drift from the execution. State names
 * follow `lib/workflow/release-definition.ts` (`Approve <env>`, `Check freeze <env>`, `Wait for <env> freeze
 * to end`, `Deploy <env>` with `Start/Await/Check rollout <env>` inside, `Verify <env>`, `Roll back <env>`).
 */

/** One environment as derived. */
export interface DerivedEnvironment {
  status: EnvironmentStatus;
  /** Why, when the status alone does not say it. */
  detail?: string;
}

/** A release as its execution says it is. */
export interface DerivedRelease {
  status: ReleaseStatus;
  /** The state the execution is in (the last one entered; once it ended, the one it ended in). */
  currentStep: string | null;
  environments: Record<string, DerivedEnvironment>;
  error?: ReleaseError;
}

/** Where an environment got to, in the order a release passes them. */
type Phase =
  | 'pending'
  | 'approval'
  | 'approved'
  | 'frozen'
  | 'deploying'
  | 'rollout-started'
  | 'deployed-unverified'
  | 'verifying'
  | 'verified'
  | 'rolling-back'
  | 'rolled-back';

const SUPERSEDED = new Set(['ApprovalSuperseded', 'ReleaseSuperseded']);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The phase a state of `environment` puts it in, or undefined for a state of another environment. */
function phaseOf(name: string, environment: string, kind: 'entered' | 'exited' | 'task'): Phase | undefined {
  const env = escape(environment);
  const is = (pattern: string) => new RegExp(`^${pattern}$`).test(name);
  if (kind === 'entered') {
    if (is(`Approve ${env}`)) return 'approval';
    if (is(`Check freeze ${env}`) || is(`Is ${env} frozen\\?`)) return 'approved';
    if (is(`Wait for ${env} freeze to end`) || is(`Freeze of ${env} has no end`)) return 'frozen';
    if (is(`Deploy ${env}`)) return 'deploying';
    if (is(`Verify ${env}`)) return 'verifying';
    if (new RegExp(`^Roll(ing)? back ${env}\\b`, 'i').test(name)) return 'rolling-back';
    return undefined;
  }
  if (kind === 'task') {
    // A rollout task was scheduled: from here ECS may run this release's digest.
    if (is(`(Start|Await|Check) rollout ${env}`)) return 'rollout-started';
    return undefined;
  }
  if (is(`Deploy ${env}`)) return 'deployed-unverified';
  if (is(`Verify ${env}`)) return 'verified';
  if (new RegExp(`^Roll(ing)? back ${env}\\b`, 'i').test(name)) return 'rolled-back';
  return undefined;
}

/** The readable part of a Lambda error cause (`{"errorMessage": …}`). */
function readable(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // plain text
  }
  return cause;
}

const RUNNING_STATUS: Record<Phase, EnvironmentStatus> = {
  pending: 'PENDING',
  approval: 'AWAITING_APPROVAL',
  approved: 'APPROVED',
  frozen: 'FROZEN',
  deploying: 'DEPLOYING',
  'rollout-started': 'DEPLOYING',
  'deployed-unverified': 'DEPLOYING',
  verifying: 'VERIFYING',
  verified: 'DEPLOYED',
  'rolling-back': 'ROLLING_BACK',
  'rolled-back': 'ROLLED_BACK',
};

/**
 * Derives the release from its execution's history (oldest first, as `GetExecutionHistory` returns it
 * without `reverseOrder`) and Step Functions' status of the execution.
 * @example deriveRelease(events, ['staging', 'production'], 'RUNNING')
 */
export function deriveRelease(
  events: HistoryEvent[],
  environments: string[],
  executionStatus: ExecutionStatus | undefined,
): DerivedRelease {
  const phase: Record<string, Phase> = Object.fromEntries(environments.map((e) => [e, 'pending' as Phase]));
  let current: string | null = null;
  let lastEnv: string | undefined;
  let pendingTask: string | undefined;
  let end: { type: string; error?: string; cause?: string } | undefined;
  for (const e of events) {
    const entered = e.stateEnteredEventDetails?.name;
    const exited = e.stateExitedEventDetails?.name;
    if (entered) {
      current = entered;
      pendingTask = entered;
      for (const env of environments) {
        const p = phaseOf(entered, env, 'entered');
        if (p) {
          // Inside "Deploy <env>" the Map's own states keep the phase that a rollout started.
          if (!(p === 'deploying' && phase[env] === 'rollout-started')) phase[env] = p;
          lastEnv = env;
        }
      }
    } else if (e.type === 'TaskScheduled' && pendingTask) {
      for (const env of environments) {
        if (phaseOf(pendingTask, env, 'task')) phase[env] = 'rollout-started';
      }
    } else if (exited) {
      for (const env of environments) {
        const p = phaseOf(exited, env, 'exited');
        if (p) phase[env] = p;
      }
    } else if (
      e.type === 'ExecutionFailed' ||
      e.type === 'ExecutionAborted' ||
      e.type === 'ExecutionTimedOut' ||
      e.type === 'ExecutionSucceeded'
    ) {
      const d =
        e.executionFailedEventDetails ?? e.executionAbortedEventDetails ?? e.executionTimedOutEventDetails;
      end = { type: e.type, error: d?.error, cause: d?.cause };
    }
  }

  const ended = end?.type ?? (executionStatus && executionStatus !== 'RUNNING' ? executionStatus : undefined);
  const out: Record<string, DerivedEnvironment> = {};
  if (!ended) {
    for (const env of environments) out[env] = { status: RUNNING_STATUS[phase[env]] };
    return { status: 'RUNNING', currentStep: current, environments: out };
  }

  const error = end?.error;
  const cause = readable(end?.cause);
  const aborted = ended === 'ExecutionAborted' || ended === 'ABORTED';
  const succeeded = ended === 'ExecutionSucceeded' || ended === 'SUCCEEDED';
  const superseded = SUPERSEDED.has(error ?? '');
  for (const env of environments) {
    const p = phase[env];
    if (p === 'verified') out[env] = { status: 'DEPLOYED' };
    else if (p === 'rolled-back' || p === 'rolling-back') {
      out[env] =
        p === 'rolled-back'
          ? { status: 'ROLLED_BACK', ...(error ? { detail: `${error}; rolled back` } : {}) }
          : { status: 'ABORTED', detail: 'stopped while rolling back; check what the service runs' };
    } else if (p === 'rollout-started' || p === 'deployed-unverified' || p === 'verifying') {
      out[env] = aborted
        ? {
            status: 'RUNNING_UNVERIFIED',
            detail: `the rollout had started when the execution was aborted; ${env} may run this release's digest, never verified`,
          }
        : { status: 'FAILED', ...(error ? { detail: error } : {}) };
    } else if (p === 'pending') out[env] = { status: succeeded ? 'DEPLOYED' : 'SKIPPED' };
    else if (aborted) out[env] = { status: 'ABORTED', ...(cause ? { detail: cause } : {}) };
    else if (superseded) out[env] = { status: 'SUPERSEDED', ...(cause ? { detail: cause } : {}) };
    else if (error === 'ApprovalRejected' && env === lastEnv) {
      out[env] = { status: 'REJECTED', ...(cause ? { detail: cause } : {}) };
    } else out[env] = { status: 'FAILED', ...(error ? { detail: error } : {}) };
  }
  let status: ReleaseStatus = 'FAILED';
  if (succeeded) status = 'SUCCEEDED';
  else if (aborted) status = 'ABORTED';
  else if (superseded) status = 'SUPERSEDED';
  return {
    status,
    currentStep: current,
    environments: out,
    ...(error ? { error: { error, ...(cause ? { cause } : {}) } } : {}),
  };
}
