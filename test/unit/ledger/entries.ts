import type {
  LedgerCommit,
  ReleaseLedgerEntry,
  RollbackLedgerEntry,
} from '../../../lambdas/domain/ledger/types';

/** Hand-made ledger entries for the DORA tests (only what a test names differs from these defaults). */

let n = 0;

/** A release entry in production, deployed at `at` (rollout end), with no commits unless given. */
export function releaseEntry(
  at: string,
  fields: Partial<ReleaseLedgerEntry> & { commits?: LedgerCommit[] } = {},
): ReleaseLedgerEntry {
  n += 1;
  const releaseId = fields.releaseId ?? `inventory-app-r${n}`;
  return {
    kind: 'release',
    id: `${releaseId}#production#inventory-app`,
    service: 'inventory-app',
    environment: 'production',
    projectId: 7,
    projectPath: 'shop/inventory-app',
    outcome: 'deployed',
    at,
    recordedAt: at,
    releaseId,
    digest: `sha256:${String(n).padStart(64, '0')}`,
    commitSha: String(n).padStart(40, 'a'),
    deployment: true,
    commits: [],
    commitsSource: 'gitlab-compare',
    pipelineFinishedAt: at,
    rolloutFinishedAt: at,
    unplanned: false,
    unplannedReasons: [],
    ...fields,
  };
}

/** A rollback entry that restored `service` at `restoredAt` after the failure detected at `detectedAt`. */
export function rollbackEntry(
  detectedAt: string,
  restoredAt: string,
  fields: Partial<RollbackLedgerEntry> = {},
): RollbackLedgerEntry {
  n += 1;
  return {
    kind: 'rollback',
    id: `rollback-${n}`,
    service: 'inventory-app',
    environment: 'production',
    projectId: 7,
    projectPath: 'shop/inventory-app',
    outcome: 'rolled-back-by-shipgate',
    at: restoredAt,
    recordedAt: restoredAt,
    rollbackId: `rb-${n}`,
    restored: { releaseId: 'inventory-app-previous' },
    detectedAt,
    restoredAt,
    ...fields,
  };
}

/** A commit with `committedAt` (and the same authored time). */
export const commit = (sha: string, committedAt: string): LedgerCommit => ({
  sha: sha.padEnd(40, '0'),
  authoredAt: committedAt,
  committedAt,
});
