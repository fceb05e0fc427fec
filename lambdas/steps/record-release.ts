import { sourceWords } from '../domain/decisions/identity';
import * as z from '../shared/zod';
import { formatIssues } from '../shared/config';
import { BadRequestError, ConflictError, NotFoundError } from '../shared/errors';
import { logger } from '../shared/logger';
import { releaseSchema } from '../shared/release';
import { recordReleaseInLedger, type LedgerRecordDeps } from '../domain/ledger/record';
import {
  updateRelease,
  type EnvironmentOutcome,
  type ReleasePatch,
  type ReleaseRecord,
  type StoreDeps,
} from '../domain/releases/store';
import { releaseWaits } from '../domain/outcomes/waits';
import { putMetric, putReleaseWaits } from '../shared/monitoring/emit';
import { METRICS } from '../shared/monitoring/names';

/** The parts of the release document (`$`) that "Record release" and "Report failure" read. */
export const releaseDocumentSchema = z.object({
  release: releaseSchema,
  resolved: z.optional(
    z.looseObject({ images: z.array(z.looseObject({ service: z.string(), digest: z.string() })) }),
  ),
  scan: z.optional(z.looseObject({ passed: z.optional(z.boolean()) })),
  approvals: z.optional(
    z.record(
      z.string(),
      z.looseObject({
        approvedBy: z.optional(z.array(z.string())),
        approvedVia: z.optional(z.array(z.string())),
      }),
    ),
  ),
  deployments: z.optional(z.record(z.string(), z.unknown())),
  verify: z.optional(
    z.record(
      z.string(),
      z.looseObject({ passed: z.optional(z.boolean()), checks: z.optional(z.array(z.unknown())) }),
    ),
  ),
  // "Roll back <env>": one result per service (`{ service, rolledBack }` / `{ service, untouched }`); the
  // single-object form `{ rolledBack: [] }` is what executions from before the per-service rollback wrote.
  rollback: z.optional(
    z.union([
      z.array(
        z.looseObject({
          service: z.string(),
          rolledBack: z.optional(
            z.looseObject({ service: z.string(), from: z.optional(z.string()), to: z.optional(z.string()) }),
          ),
        }),
      ),
      z.looseObject({
        rolledBack: z.optional(
          z.array(
            z.looseObject({ service: z.string(), from: z.optional(z.string()), to: z.optional(z.string()) }),
          ),
        ),
      }),
    ]),
  ),
  error: z.optional(z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
  /** Set when "Roll back <env>" itself failed (`$.error` keeps the original error). */
  rollbackError: z.optional(z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});

/** The release document as the state machine passes it (`$`). */
export type ReleaseDocument = z.infer<typeof releaseDocumentSchema>;

/**
 * Parses the state input of "Record release" / "Report failure".
 * @throws BadRequestError naming each wrong path.
 */
export function parseReleaseDocument(event: unknown, state: string): ReleaseDocument {
  const parsed = releaseDocumentSchema.safeParse(event);
  if (!parsed.success) {
    throw new BadRequestError(`${state} input is invalid:\n${formatIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}

/** Image digests of the release by service. */
export function digestsOf(doc: ReleaseDocument): Record<string, string> | undefined {
  const images = doc.resolved?.images;
  return images ? Object.fromEntries(images.map((i) => [i.service, i.digest])) : undefined;
}

/** "alice (GitLab), bob (Slack)": who approved, with how each was proven when the output says. */
export function whoApproved(approvedBy: string[], approvedVia: string[] | undefined): string {
  return approvedBy
    .map((k, i) => (approvedVia?.[i] ? `${k} (${sourceWords(approvedVia[i]) ?? approvedVia[i]})` : k))
    .join(', ');
}

/** The outcome of an environment the release went through successfully. */
export function deployedOutcome(doc: ReleaseDocument, environment: string, at: string): EnvironmentOutcome {
  const approval = doc.approvals?.[environment];
  const approvedBy = approval?.approvedBy ?? [];
  const checks = doc.verify?.[environment]?.checks?.length ?? 0;
  const parts = [
    approvedBy.length ? `approved by ${whoApproved(approvedBy, approval?.approvedVia)}` : undefined,
    `${checks} smoke check${checks === 1 ? '' : 's'} passed`,
  ].filter(Boolean);
  return { status: 'DEPLOYED', digests: digestsOf(doc), at, detail: parts.join('; ') };
}

/**
 * The store patch of a release that went through every environment: SUCCEEDED, each environment DEPLOYED
 * with its digests, approvers and smoke checks. Applied only while the release is RUNNING.
 */
export function successPatch(doc: ReleaseDocument, now: Date): ReleasePatch {
  const at = now.toISOString();
  return {
    status: 'SUCCEEDED',
    currentStep: null,
    error: null,
    environments: Object.fromEntries(
      doc.release.environments.map((env) => [env, deployedOutcome(doc, env, at)]),
    ),
    ifStatus: ['RUNNING'],
  };
}

/** Result of "Record release" (`$.record`). */
export interface RecordResult {
  recordedAt: string;
  /** False when the store had no RUNNING release to update (see the log for why). */
  recorded: boolean;
}

/**
 * Stores the outcome of a release through the release store, tolerating a release that was superseded
 * meanwhile (left as it is) or that was started outside the webhook (no item to update).
 */
export async function applyOutcome(id: string, patch: ReleasePatch, deps: StoreDeps = {}): Promise<boolean> {
  return (await applyOutcomeRecord(id, patch, deps)) !== undefined;
}

/** {@link applyOutcome}, answering the updated record (`undefined` when it was not stored). */
export async function applyOutcomeRecord(
  id: string,
  patch: ReleasePatch,
  deps: StoreDeps = {},
): Promise<ReleaseRecord | undefined> {
  try {
    return await updateRelease(id, patch, deps);
  } catch (err) {
    if (err instanceof ConflictError || err instanceof NotFoundError) {
      logger.warn('Release outcome not stored', { releaseId: id, reason: err.message });
      return undefined;
    }
    throw err;
  }
}

/**
 * Writes how a release ended and how long it waited for people and for ECS (issue 31 metrics). Only when
 * this call stored the outcome, so a retried step counts nothing twice.
 */
export function countReleaseEnd(
  doc: ReleaseDocument,
  record: ReleaseRecord | undefined,
  ended: { metric: string; dimensions?: Record<string, string> },
): void {
  if (!record) return;
  putMetric(ended.metric, 1, { dimensions: ended.dimensions });
  putReleaseWaits(
    releaseWaits({ approvals: doc.approvals, deployments: doc.deployments, pauses: record.pauses }),
  );
}

/**
 * Writes the release's ledger entries (idempotent: a retried step writes nothing twice). Never throws: the
 * release outcome is already stored, and failing this step would turn a good release into a failed one; a
 * ledger that could not be written is logged as an error (the entry is then missing from the DORA figures).
 */
export async function recordLedger(
  doc: ReleaseDocument,
  ended: 'success' | 'failure',
  deps: StoreDeps & { ledger?: Omit<LedgerRecordDeps, 'ddb' | 'table' | 'now'> },
): Promise<void> {
  try {
    await recordReleaseInLedger(doc, ended, {
      ...(deps.ddb ? { ddb: deps.ddb } : {}),
      ...(deps.table ? { table: deps.table } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      ...deps.ledger,
    });
  } catch (err) {
    logger.error('Ledger entries not written; the DORA figures miss this release', {
      releaseId: doc.release.id,
      error: err as Error,
    });
  }
}

/**
 * "Record release" state: payload `$` (the whole release document); output `{ recordedAt, recorded }` at
 * `$.record`. Marks the release SUCCEEDED with each environment's digests, approvers and smoke checks, and
 * writes its ledger entries.
 */
export async function recordRelease(
  event: unknown,
  deps: StoreDeps & { ledger?: Omit<LedgerRecordDeps, 'ddb' | 'table' | 'now'> } = {},
): Promise<RecordResult> {
  const doc = parseReleaseDocument(event, 'Record release');
  const now = deps.now?.() ?? new Date();
  const record = await applyOutcomeRecord(doc.release.id, successPatch(doc, now), deps);
  const recorded = record !== undefined;
  countReleaseEnd(doc, record, { metric: METRICS.releasesSucceeded });
  await recordLedger(doc, 'success', deps);
  logger.info('Release recorded', { releaseId: doc.release.id, recorded });
  return { recordedAt: now.toISOString(), recorded };
}

/**
 * TEST-ONLY: `SHIPGATE_TEST_BUILD_MARK`, fixed into the bundle when it is built (lib/build/lambda-bundles.ts
 * defines it from the file `SHIPGATE_TEST_BUILD_MARK_FILE` names). Set only by the sandbox upgrade test, to
 * build code whose "Record release" output differs; empty in every real build, and then the output carries
 * no `build` field.
 */
const TEST_BUILD_MARK = process.env.SHIPGATE_TEST_BUILD_MARK ?? '';

/** Lambda entry of "Record release" (see {@link recordRelease}). */
export const handler = async (event: unknown): Promise<RecordResult & { build?: string }> => {
  const result = await recordRelease(event);
  return TEST_BUILD_MARK ? { ...result, build: TEST_BUILD_MARK } : result;
};
