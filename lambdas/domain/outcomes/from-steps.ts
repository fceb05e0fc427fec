import { loadContract, shortTaskDefinition } from '../rollout/contract';
import type { RolloutDeps } from '../rollout/deps';
import { getRecord } from '../rollout/records';
import { planRollout } from '../rollout/strategy';
import { releaseExecutionArn } from '../gitlab/feedback';
import type { ReleaseOutcome } from '../chat/outcomes';
import type { Release } from '../../shared/release';
import { announceOutcome, type AnnounceDeps } from './announce';

/**
 * The outcome messages the workflow's steps post: "Verify <env>" (deployed), "Check freeze <env>" (held),
 * "Report failure" (failed, scan stop, superseded). Each posts once per release and key.
 */

/** The readable part of a Step Functions cause (Lambda errors arrive as `{"errorMessage": …}` JSON). */
export function readableCause(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // a plain cause string
  }
  return cause;
}

/** Severity counts read back from a scan summary text ("Findings across 1 image: CRITICAL 1, HIGH 3"). */
export function countsFromSummary(text: string | undefined): Record<string, number> {
  const line = (text ?? '').split('\n').find((l) => /^Findings across /.test(l)) ?? '';
  const counts: Record<string, number> = {};
  for (const m of line.matchAll(/\b(CRITICAL|HIGH|MEDIUM|LOW|UNKNOWN|NEGLIGIBLE|INFO) (\d+)/g)) {
    counts[m[1]] = Number(m[2]);
  }
  return counts;
}

/** "Verify <env>" passed: deployed, with digests, approvers, checks and how long rollout + checks took. */
export function announceDeployed(
  input: { environment: string; release: Release; images: { service: string; digest: string }[] },
  facts: { startedAt?: string; checks: number; approvedBy?: string[] },
  deps: AnnounceDeps,
) {
  const now = deps.now().getTime();
  const started = facts.startedAt ? Date.parse(facts.startedAt) : NaN;
  const last = input.release.environments[input.release.environments.length - 1] === input.environment;
  return announceOutcome(
    input.release,
    {
      kind: 'deployed',
      environment: input.environment,
      digests: Object.fromEntries(input.images.map((i) => [i.service, i.digest])),
      ...(Number.isFinite(started) ? { durationSeconds: (now - started) / 1000 } : {}),
      checks: facts.checks,
      ...(facts.approvedBy?.length ? { approvedBy: facts.approvedBy } : {}),
    },
    {
      once: `deployed#${input.environment}`,
      executionArn: releaseExecutionArn(input.release, deps.env),
      final: last,
    },
    deps,
  );
}

/** "Check freeze <env>" found the environment frozen: held until `until` (once per window end). */
export function announceFrozen(
  input: { environment: string; release: Release },
  state: { frozen: boolean; until?: string; reason?: string },
  deps: AnnounceDeps,
) {
  if (!state.frozen) return Promise.resolve('filtered' as const);
  return announceOutcome(
    input.release,
    {
      kind: 'frozen',
      environment: input.environment,
      ...(state.until ? { until: state.until } : {}),
      ...(state.reason ? { reason: state.reason } : {}),
    },
    {
      once: `frozen#${input.environment}#${state.until ?? 'open'}`,
      executionArn: releaseExecutionArn(input.release, deps.env),
    },
    deps,
  );
}

/** The failed release document as "Report failure" gets it. */
export interface FailureDocument {
  release: Release;
  scan?: { passed?: boolean; text?: string; counts?: Record<string, unknown> } & Record<string, unknown>;
  verify?: Record<string, unknown>;
  /**
   * "Roll back <env>": one result per service (the Map of Start/Check/Await rollback, each
   * `{ rolledBack }` or `{ untouched }`), or the older single-object form `{ rolledBack: [], untouched: [] }`.
   */
  rollback?: RollbackResult | PerServiceRollback[];
  rollbackError?: { Error?: string; Cause?: string };
  error?: { Error?: string; Cause?: string };
}

type RolledBack = { service: string; from?: string; to?: string; by?: string };
type RollbackResult = { rolledBack?: RolledBack[]; untouched?: unknown };
type PerServiceRollback = { rolledBack?: RolledBack; untouched?: unknown };

/** The rollback result in one shape, whichever form the state machine produced. */
function rollbackSummary(rollback: FailureDocument['rollback']): {
  rolledBack: RolledBack[];
  untouched: unknown[];
} {
  if (!rollback) return { rolledBack: [], untouched: [] };
  if (Array.isArray(rollback)) {
    return {
      rolledBack: rollback.flatMap((r) => (r.rolledBack ? [r.rolledBack] : [])),
      untouched: rollback.flatMap((r) => (r.untouched ? [r.untouched] : [])),
    };
  }
  return {
    rolledBack: rollback.rolledBack ?? [],
    untouched: Array.isArray(rollback.untouched) ? rollback.untouched : [],
  };
}

/** Errors whose outcome an approval message already told (rejected, timed out, superseded at approval). */
const TOLD_BY_APPROVAL = new Set([
  'ApprovalRejected',
  'ApprovalExpired',
  'ApprovalSuperseded',
  'States.Timeout',
]);

/** The outcome "Report failure" announces for a failed release, or `undefined` when chat already knows. */
export function failureOutcome(doc: FailureDocument): ReleaseOutcome | undefined {
  const error = doc.error?.Error ?? 'Unknown';
  const cause = readableCause(doc.error?.Cause);
  if (TOLD_BY_APPROVAL.has(error)) return undefined;
  if (error === 'ScanGateFailed') {
    return { kind: 'scan-stopped', counts: countsFromSummary(cause), ...(cause ? { summary: cause } : {}) };
  }
  const scanPassed = doc.scan !== undefined && doc.scan.passed !== false;
  const environment = scanPassed
    ? doc.release.environments.find((e) => doc.verify?.[e] === undefined)
    : undefined;
  if (error === 'ReleaseSuperseded') {
    return { kind: 'superseded', ...(environment ? { environment } : {}), ...(cause ? { cause } : {}) };
  }
  const summary = rollbackSummary(doc.rollback);
  const untouched = (summary.untouched as { service?: unknown; reason?: unknown }[])
    .filter((u) => u && typeof u.service === 'string')
    .map((u) => ({ service: String(u.service), reason: String(u.reason ?? '') }));
  return {
    kind: 'failed',
    ...(environment ? { environment } : {}),
    error,
    ...(cause ? { cause } : {}),
    rolledBack: summary.rolledBack.map((r) => ({
      service: r.service,
      ...(r.from ? { from: shortTaskDefinition(r.from) } : {}),
      ...(r.to ? { to: shortTaskDefinition(r.to) } : {}),
      ...(r.by ? { by: r.by } : {}),
    })),
    untouched,
    ...(doc.rollbackError
      ? {
          rollbackError: `${doc.rollbackError.Error ?? 'Error'}: ${readableCause(doc.rollbackError.Cause) ?? ''}`,
        }
      : {}),
  };
}

/** "Report failure": announces how the release failed (see {@link failureOutcome}). */
export async function announceFailure(doc: FailureDocument, deps: AnnounceDeps) {
  const outcome = failureOutcome(doc);
  if (!outcome) return 'filtered' as const;
  return announceOutcome(
    doc.release,
    outcome,
    { once: `ended`, executionArn: releaseExecutionArn(doc.release, deps.env) },
    deps,
  );
}

/**
 * When this release's rollout of `environment` started: the earliest `startedAt` of the rollout records
 * (`ROLLOUT#<cluster>#<service>`) this release still owns there. `undefined` when none is found (e.g. a
 * newer release has rolled out since).
 */
export async function rolloutStartedAt(
  input: { environment: string; release: Release; images: { service: string }[] },
  deps: Pick<RolloutDeps, 'ssm' | 'ddb' | 'table' | 'config'> & {
    environmentSsm?: (environment: string) => RolloutDeps['ssm'];
  },
): Promise<string | undefined> {
  const starts = await Promise.all(
    [...new Set(input.images.map((i) => i.service))].map(async (service) => {
      try {
        const plan = planRollout(
          await loadContract(input.environment, service, {
            ...deps,
            ssm: deps.environmentSsm?.(input.environment) ?? deps.ssm,
          }),
          deps.config,
          service,
          input.environment,
        );
        const record = await getRecord(plan.clusterName, plan.serviceName, deps);
        return record?.releaseId === input.release.id && record.environment === input.environment
          ? record.startedAt
          : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return starts.filter((s): s is string => Boolean(s)).sort()[0];
}
