import { createRelease } from '../../../lambdas/domain/releases/store';
import type { CommitReader } from '../../../lambdas/domain/ledger/commits';
import { DigestQuarantined } from '../../../lambdas/domain/ledger/errors';
import {
  assertNotQuarantined,
  getQuarantine,
  liftQuarantine,
  listQuarantines,
} from '../../../lambdas/domain/ledger/quarantine';
import { recordReleaseInLedger } from '../../../lambdas/domain/ledger/record';
import { doraReport } from '../../../lambdas/domain/ledger/report';
import { getLedgerHead, ledgerStartedAt, listLedgerEntries } from '../../../lambdas/domain/ledger/store';
import type { ReleaseLedgerEntry, RollbackLedgerEntry } from '../../../lambdas/domain/ledger/types';
import { ConflictError, BadRequestError, NotFoundError } from '../../../lambdas/shared/errors';
import type { ReleaseDocument } from '../../../lambdas/steps/record-release';
import { TEST_CONFIG } from '../webhook/harness';
import { startLocalTable, type LocalTable } from '../../helpers/dynalite';
import { pipelineRelease } from '../../helpers/release';

/**
 * The ledger as the workflow's steps write it, against dynalite: entries per (release, environment,
 * service), idempotent on retry, rollback entries and quarantine, unplanned marks, "before ledger".
 */

let local: LocalTable;
beforeAll(async () => {
  local = await startLocalTable('shipgate-ledger-test');
});
afterAll(() => local.close());

const DIGEST = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const SHA = (c: string) => c.repeat(40).slice(0, 40);

const release = (n: number, sha: string, createdAt: string) =>
  pipelineRelease({ pipeline: 4700 + n, commit: { sha, title: `change ${n}` }, createdAt });

const rollout = (start: string, end: string) => [
  { service: 'inventory-app', status: 'COMPLETED', startedAt: start, finishedAt: end, digest: 'x' },
];

/** A release that went through both environments. */
function succeeded(n: number, sha: string, t: (h: number) => string, hotfix = false): ReleaseDocument {
  return {
    release: release(n, sha, t(0)),
    resolved: { images: [{ service: 'inventory-app', digest: DIGEST(n) }] },
    scan: { passed: true },
    approvals: {
      staging: { approvalId: `a${n}s`, approvedBy: ['alice'], decidedAt: t(1) },
      production: {
        approvalId: `a${n}p`,
        approvedBy: ['alice', 'bob'],
        decidedAt: t(3),
        ...(hotfix ? { hotfix: true } : {}),
      },
    },
    deployments: { staging: rollout(t(1), t(2)), production: rollout(t(3), t(4)) },
    verify: { staging: { passed: true }, production: { passed: true } },
  } as ReleaseDocument;
}

const hours = (base: string) => (h: number) => new Date(Date.parse(base) + h * 3_600_000).toISOString();

describe('recordReleaseInLedger', () => {
  const calls: { from?: string; sha: string }[] = [];
  const commits: CommitReader = async (_project, commit, from) => {
    calls.push({ from, sha: commit.sha });
    return {
      commits: [
        {
          sha: commit.sha,
          title: commit.title,
          authoredAt: '2026-11-01T07:00:00.000Z',
          committedAt: '2026-11-01T08:00:00.000Z',
        },
      ],
      source: from ? 'gitlab-compare' : 'gitlab-commit',
      mergeRequestLabels: commit.sha === SHA('c') ? ['hotfix'] : [],
    };
  };
  const deps = () => ({
    ddb: local.ddb,
    table: local.table,
    config: TEST_CONFIG,
    commits,
    now: () => new Date('2026-11-02T00:00:00.000Z'),
  });

  it('lists releases recorded before the ledger existed, never migrating them', async () => {
    await createRelease(
      { release: release(0, SHA('0'), '2026-10-31T12:00:00.000Z'), executionArn: 'arn:old' },
      { ddb: local.ddb, table: local.table },
    );
    expect(await ledgerStartedAt({ ddb: local.ddb, table: local.table })).toBeUndefined();
  });

  it('writes one entry per environment with approvals, rollout times and commits; a retried step writes nothing', async () => {
    const t = hours('2026-11-01T09:00:00.000Z');
    const doc = succeeded(1, SHA('a'), t, true);
    const first = await recordReleaseInLedger(doc, 'success', deps());
    expect(first.written).toEqual([
      `release#${doc.release.id}#staging#inventory-app`,
      `release#${doc.release.id}#production#inventory-app`,
    ]);
    // Step Functions retries the step (or Lambda redelivers the invoke): same ids, nothing new.
    const retry = await recordReleaseInLedger(doc, 'success', deps());
    expect(retry).toEqual({ written: [], skipped: first.written });

    const entries = await listLedgerEntries(
      'production',
      '2026-11-01T00:00:00.000Z',
      '2026-11-03T00:00:00.000Z',
      local,
    );
    expect(entries).toHaveLength(1);
    const prod = entries[0] as ReleaseLedgerEntry;
    expect(prod).toMatchObject({
      kind: 'release',
      outcome: 'deployed',
      deployment: true,
      digest: DIGEST(1),
      commitSha: SHA('a'),
      commitsSource: 'gitlab-commit',
      pipelineFinishedAt: t(0),
      approval: { approvalId: 'a1p', approvers: ['alice', 'bob'], decidedAt: t(3), hotfix: true },
      rolloutStartedAt: t(3),
      rolloutFinishedAt: t(4),
      at: t(4),
      unplanned: true,
      unplannedReasons: ['hotfix-approval'],
    });
    expect(prod.commits[0]).toEqual({
      sha: SHA('a'),
      title: 'change 1',
      authoredAt: '2026-11-01T07:00:00.000Z',
      committedAt: '2026-11-01T08:00:00.000Z',
    });
    expect(await getLedgerHead('production', 'inventory-app', local)).toMatchObject({ commitSha: SHA('a') });
    // The earliest release the ledger holds: this one's pipeline end, so it counts in the ledger it started.
    expect(await ledgerStartedAt(local)).toBe(t(0));
  });

  it('compares against the SHA that ran there before, and marks a configured MR label unplanned', async () => {
    calls.length = 0;
    const doc = succeeded(2, SHA('c'), hours('2026-11-01T15:00:00.000Z'));
    await recordReleaseInLedger(doc, 'success', deps());
    expect(calls).toEqual([
      { from: SHA('a'), sha: SHA('c') },
      { from: SHA('a'), sha: SHA('c') },
    ]);
    const [entry] = (await listLedgerEntries(
      'staging',
      '2026-11-01T15:00:00.000Z',
      '2026-11-03T00:00:00.000Z',
      local,
    )) as ReleaseLedgerEntry[];
    expect(entry).toMatchObject({
      previousSha: SHA('a'),
      commitsSource: 'gitlab-compare',
      unplannedReasons: ['mr-label'],
    });
  });

  it('records a rollback by Shipgate: release entry, rollback entry, quarantine, all once on retry', async () => {
    const t = hours('2026-11-01T20:00:00.000Z');
    const doc = {
      release: release(3, SHA('d'), t(0)),
      resolved: { images: [{ service: 'inventory-app', digest: DIGEST(3) }] },
      scan: { passed: true },
      approvals: { staging: { approvalId: 'a3s', approvedBy: ['bob'], decidedAt: t(1) } },
      rollback: [
        {
          service: 'inventory-app',
          rolledBack: {
            service: 'inventory-app',
            from: 'arn:td/inventory-app:9',
            to: 'arn:td/inventory-app:8',
            by: 'shipgate',
            startedAt: t(2),
            finishedAt: t(2.5),
          },
        },
      ],
      error: { Error: 'VerifyFailed', Cause: 'readyz answered 503' },
    } as unknown as ReleaseDocument;
    const first = await recordReleaseInLedger(doc, 'failure', deps());
    expect(first.written).toEqual([
      `release#${doc.release.id}#staging#inventory-app`,
      `rollback#${doc.release.id}#staging#inventory-app`,
    ]);
    expect((await recordReleaseInLedger(doc, 'failure', deps())).written).toEqual([]);

    const entries = await listLedgerEntries('staging', t(0), t(10), local);
    const rel = entries.find((e) => e.kind === 'release') as ReleaseLedgerEntry;
    const rb = entries.find((e) => e.kind === 'rollback') as RollbackLedgerEntry;
    expect(rel).toMatchObject({
      outcome: 'rolled-back-by-shipgate',
      deployment: true,
      failedAt: t(2),
      error: { error: 'VerifyFailed', cause: 'readyz answered 503' },
      restored: {
        releaseId: 'inventory-app-p4702-cccccccccccc',
        digest: DIGEST(2),
        taskDefinitionArn: 'arn:td/inventory-app:8',
      },
    });
    expect(rb).toMatchObject({
      outcome: 'rolled-back-by-shipgate',
      rolledBackReleaseId: doc.release.id,
      rolledBackDigest: DIGEST(3),
      detectedAt: t(2),
      restoredAt: t(2.5),
    });
    // Production was never reached: no entry there.
    expect(await listLedgerEntries('production', t(0), t(10), local)).toEqual([]);

    const q = await getQuarantine('inventory-app', DIGEST(3), local);
    expect(q).toMatchObject({ status: 'quarantined', lifts: [] });
    expect(q!.rollbacks).toHaveLength(1); // the retry added nothing
  });

  it('refuses the quarantined digest naming the rollback, lifts it with a recorded reason, then lets it through', async () => {
    const refusal = assertNotQuarantined('inventory-app', DIGEST(3), local);
    await expect(refusal).rejects.toBeInstanceOf(DigestQuarantined);
    await expect(assertNotQuarantined('inventory-app', DIGEST(3), local)).rejects.toThrow(
      `Image ${DIGEST(3)} of "inventory-app" is quarantined: it was rolled back by Shipgate in staging at 2026-11-01T22:30:00.000Z (release inventory-app-p4703-dddddddddddd): VerifyFailed.`,
    );
    expect(new DigestQuarantined('x').name).toBe('DigestQuarantined');
    // Other digests and other services are not affected.
    await expect(assertNotQuarantined('inventory-app', DIGEST(2), local)).resolves.toBeUndefined();
    await expect(assertNotQuarantined('billing-app', DIGEST(3), local)).resolves.toBeUndefined();

    // Dana lifts the quarantine of an inventory-app digest.
    const lift = (digest: string, reason: string, at = '2026-11-02T01:00:00.000Z') =>
      liftQuarantine('inventory-app', digest, { by: 'dana', reason, at }, local);
    await expect(lift(DIGEST(3), '  ')).rejects.toBeInstanceOf(BadRequestError);
    await expect(lift(DIGEST(9), 'x')).rejects.toBeInstanceOf(NotFoundError);
    const lifted = await lift(DIGEST(3), 'readyz fixed by config change');
    expect(lifted).toMatchObject({
      status: 'lifted',
      lifts: [{ by: 'dana', at: '2026-11-02T01:00:00.000Z', reason: 'readyz fixed by config change' }],
    });
    await expect(lift(DIGEST(3), 'again', '2026-11-02T01:05:00.000Z')).rejects.toBeInstanceOf(ConflictError);
    await expect(assertNotQuarantined('inventory-app', DIGEST(3), local)).resolves.toBeUndefined();
    expect((await listQuarantines(local)).map((x) => [x.digest, x.status])).toEqual([[DIGEST(3), 'lifted']]);
  });

  it('marks the next release unplanned within the window after a failure; a rejection is no deployment', async () => {
    const t = hours('2026-11-02T02:00:00.000Z');
    const doc = {
      ...succeeded(4, SHA('e'), t),
      approvals: { staging: { approvalId: 'a4s', approvedBy: ['alice'], decidedAt: t(1) } },
      deployments: { staging: rollout(t(1), t(2)) },
      verify: { staging: { passed: true } },
      error: { Error: 'ApprovalRejected', Cause: 'bob: not during the sale' },
    } as ReleaseDocument;
    // "Report failure" runs right after the rejection (its time is the entry's time).
    await recordReleaseInLedger(doc, 'failure', { ...deps(), now: () => new Date(t(3)) });
    const staging = (await listLedgerEntries('staging', t(0), t(10), local)) as ReleaseLedgerEntry[];
    // Staging failed at 2026-11-01T22:00 (rollback above): 4 h later is inside the 24 h window.
    expect(staging).toEqual([
      expect.objectContaining({ outcome: 'deployed', unplanned: true, unplannedReasons: ['after-failure'] }),
    ]);
    const production = (await listLedgerEntries('production', t(0), t(10), local)) as ReleaseLedgerEntry[];
    expect(production).toEqual([
      expect.objectContaining({
        outcome: 'rejected',
        deployment: false,
        commits: [],
        error: { error: 'ApprovalRejected', cause: 'bob: not during the sale' },
      }),
    ]);
  });

  it('serves the figures from the table, with the release from before the ledger listed apart', async () => {
    const report = await doraReport(
      { environment: 'staging', window: '7d' },
      {
        ddb: local.ddb,
        table: local.table,
        config: TEST_CONFIG,
        now: () => new Date('2026-11-03T00:00:00.000Z'),
      },
    );
    // Staging: deployed 1 (11:00), 2 (17:00), 4 (05:00 next day) and the rolled-back 3: 4 deployments, 1 failed.
    expect(report.overall.figures.deploymentFrequency.deployments).toBe(3);
    expect(report.overall.figures.changeFailureRate).toMatchObject({
      failedDeployments: 1,
      deployments: 4,
      rate: 0.25,
    });
    expect(report.overall.figures.recoveryTime).toMatchObject({ count: 1, medianSeconds: 1800 });
    expect(report.overall.figures.reworkRate).toMatchObject({ unplannedDeployments: 2, deployments: 4 });
    expect(report.beforeLedger).toEqual([
      {
        releaseId: 'inventory-app-p4700-000000000000',
        createdAt: '2026-10-31T12:00:00.000Z',
        status: 'RUNNING',
        services: ['inventory-app'],
      },
    ]);
    await expect(
      doraReport({ environment: 'qa', window: '7d' }, { ...local, config: TEST_CONFIG }),
    ).rejects.toThrow('environment must be one of staging, production; received "qa"');
    await expect(
      doraReport({ environment: 'staging', window: '7 days' }, { ...local, config: TEST_CONFIG }),
    ).rejects.toThrow(/window must be a number of days or hours/);
  });
});
