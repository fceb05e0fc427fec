import { getConfig, type ShipgateConfig } from '../../shared/config';
import { logger } from '../../shared/logger';
import type { Release } from '../../shared/release';
import { SUPERSEDED_ERRORS } from '../gitlab/stages';
import { defaultCommitReader, type CommitReader } from './commits';
import { quarantineDigest } from './quarantine';
import {
  appendLedgerEntry,
  getLedgerHead,
  releaseEntryId,
  restoreLedgerHead,
  rollbackEntryId,
  type LedgerStoreDeps,
} from './store';
import { FINISHED_AFTER_RELEASE } from './types';
import type {
  LedgerApproval,
  LedgerOutcome,
  ReleaseLedgerEntry,
  RollbackLedgerEntry,
  UnplannedReason,
} from './types';

/**
 * Writes the ledger entries of a release when it ends: "Record release" (every environment deployed) and
 * "Report failure" (the environments it finished are deployed; the one it stopped in is failed, rolled
 * back, rejected or superseded; none for the environments it never reached). A rolled-back service also
 * gets a rollback entry and its digest is quarantined. Ids are deterministic, so a retried step writes
 * nothing twice.
 */

/**
 * The parts of the release document (`$` of "Record release" / "Report failure", parsed there by
 * `releaseDocumentSchema`) the ledger reads.
 */
export interface ReleaseDocument {
  release: Release;
  resolved?: { images: { service: string; digest: string }[] };
  scan?: { passed?: boolean };
  approvals?: Record<string, unknown>;
  deployments?: Record<string, unknown>;
  verify?: Record<string, unknown>;
  rollback?:
    | { service: string; rolledBack?: Record<string, unknown> & { service: string } }[]
    | { rolledBack?: (Record<string, unknown> & { service: string })[] };
  error?: { Error?: string; Cause?: string };
  rollbackError?: { Error?: string; Cause?: string };
  /** The outcome comes from ECS after the release's execution ended: entries carry that note. */
  afterReleaseEnded?: boolean;
}

/** Dependencies of {@link recordReleaseInLedger}. */
export interface LedgerRecordDeps extends LedgerStoreDeps {
  config?: ShipgateConfig;
  commits?: CommitReader;
  now?: () => Date;
}

/** Errors a release gets before any rollout of the environment started: it was refused, not deployed. */
const REFUSED_ERRORS = new Set(['ApprovalRejected', 'ApprovalExpired', 'States.Timeout', 'DeployFrozen']);
/** Errors of a rollout or of its verification: a deployment that failed. */
const ROLLOUT_ERRORS = new Set(['RolloutFailed', 'RolloutStuck', 'VerifyFailed', 'RollbackFailed']);

interface RolloutTimes {
  startedAt?: string;
  finishedAt?: string;
}

type RolledBack = { service: string; by?: string; startedAt?: string; finishedAt?: string; to?: string };

const iso = (v: string | undefined): string | undefined => {
  if (!v) return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
};

function rolloutTimes(doc: ReleaseDocument, env: string, service: string): RolloutTimes {
  const list = doc.deployments?.[env];
  if (!Array.isArray(list)) return {};
  const o = (list as { service?: unknown; startedAt?: unknown; finishedAt?: unknown }[]).find(
    (d) => d && d.service === service,
  );
  return {
    ...(typeof o?.startedAt === 'string' ? { startedAt: iso(o.startedAt) } : {}),
    ...(typeof o?.finishedAt === 'string' ? { finishedAt: iso(o.finishedAt) } : {}),
  };
}

function approvalOf(doc: ReleaseDocument, env: string): LedgerApproval | undefined {
  const a = doc.approvals?.[env] as
    | {
        approvalId?: unknown;
        approvedBy?: string[];
        approvedVia?: unknown;
        decidedAt?: unknown;
        hotfix?: unknown;
      }
    | undefined;
  if (!a) return undefined;
  return {
    ...(typeof a.approvalId === 'string' ? { approvalId: a.approvalId } : {}),
    approvers: a.approvedBy ?? [],
    ...(Array.isArray(a.approvedVia) ? { approvedVia: a.approvedVia.map(String) } : {}),
    decidedAt: iso(typeof a.decidedAt === 'string' ? a.decidedAt : undefined) ?? '',
    ...(a.hotfix === true ? { hotfix: true } : {}),
  };
}

function rolledBackServices(doc: ReleaseDocument): RolledBack[] {
  if (!doc.rollback) return [];
  return Array.isArray(doc.rollback)
    ? doc.rollback.flatMap((r) => (r.rolledBack ? [r.rolledBack as RolledBack] : []))
    : ((doc.rollback.rolledBack ?? []) as RolledBack[]);
}

const rollbackOutcome = (by: string | undefined): LedgerOutcome =>
  by === 'ecs-circuit-breaker' || by === 'codedeploy' ? 'rolled-back-by-ecs' : 'rolled-back-by-shipgate';

/** What happened to one service of the release in one environment. */
interface Transition {
  environment: string;
  service: string;
  outcome: LedgerOutcome;
  deployment: boolean;
  rolledBack?: RolledBack;
}

/** The transitions of a release, from its document (`ended`: `success` = "Record release"). */
export function transitionsOf(doc: ReleaseDocument, ended: 'success' | 'failure'): Transition[] {
  const { environments, services } = doc.release;
  const all = (environment: string, outcome: LedgerOutcome, deployment: boolean) =>
    services.map((service) => ({ environment, service, outcome, deployment }));
  if (ended === 'success') return environments.flatMap((env) => all(env, 'deployed', true));
  const error = doc.error?.Error ?? 'Unknown';
  const out: Transition[] = [];
  for (const env of environments) {
    if (doc.verify?.[env]) {
      out.push(...all(env, 'deployed', true));
      continue;
    }
    // The environment the release stopped in (or, before the scan passed, the first one: refused there).
    if (SUPERSEDED_ERRORS.has(error)) out.push(...all(env, 'superseded', false));
    else if (doc.scan === undefined || doc.scan.passed === false || REFUSED_ERRORS.has(error)) {
      out.push(...all(env, 'rejected', false));
    } else {
      const rolledBack = rolledBackServices(doc);
      for (const service of services) {
        const rb = rolledBack.find((r) => r.service === service);
        if (rb)
          out.push({
            environment: env,
            service,
            outcome: rollbackOutcome(rb.by),
            deployment: true,
            rolledBack: rb,
          });
        else {
          // Untouched by the rollback: this release never changed the service there.
          const untouched = doc.rollback !== undefined && !doc.rollbackError;
          out.push({
            environment: env,
            service,
            outcome: 'failed',
            deployment: !untouched && ROLLOUT_ERRORS.has(error),
          });
        }
      }
    }
    break;
  }
  return out;
}

/**
 * Writes the ledger entries (and rollback entries, quarantines) of a release that ended. Never throws for
 * GitLab trouble (commits fall back to the release commit); DynamoDB errors propagate.
 * @returns the ids written now (entries already present are skipped, not counted).
 */
export async function recordReleaseInLedger(
  doc: ReleaseDocument,
  ended: 'success' | 'failure',
  deps: LedgerRecordDeps = {},
): Promise<{ written: string[]; skipped: string[] }> {
  const config = deps.config ?? getConfig();
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const store: LedgerStoreDeps = {
    ...(deps.ddb ? { ddb: deps.ddb } : {}),
    ...(deps.table ? { table: deps.table } : {}),
  };
  const readCommits = deps.commits ?? (await defaultCommitReader(config));
  const { release } = doc;
  const digests = Object.fromEntries((doc.resolved?.images ?? []).map((i) => [i.service, i.digest]));
  const cause = doc.error?.Cause;
  const written: string[] = [];
  const skipped: string[] = [];
  const labels = config.ledger.hotfixLabels;

  for (const t of transitionsOf(doc, ended)) {
    const head = await getLedgerHead(t.environment, t.service, store);
    const times = rolloutTimes(doc, t.environment, t.service);
    const approval = approvalOf(doc, t.environment);
    const failed = t.outcome !== 'deployed' && t.deployment;
    const rbStarted = iso(t.rolledBack?.startedAt);
    const rbFinished = iso(t.rolledBack?.finishedAt);
    const at = t.outcome === 'deployed' ? (times.finishedAt ?? now) : failed ? (rbStarted ?? now) : now;
    const info = t.deployment
      ? await readCommits(release.project, release.commit, head?.commitSha)
      : { commits: [], source: 'release' as const, mergeRequestLabels: [] };
    const reasons: UnplannedReason[] = [];
    if (approval?.hotfix) reasons.push('hotfix-approval');
    if (info.mergeRequestLabels.some((l) => labels.includes(l))) reasons.push('mr-label');
    if (
      head?.lastFailureAt &&
      Date.parse(at) - Date.parse(head.lastFailureAt) <= config.ledger.unplannedAfterFailure * 1000 &&
      Date.parse(at) >= Date.parse(head.lastFailureAt)
    ) {
      reasons.push('after-failure');
    }
    const restored =
      t.rolledBack && head?.releaseId
        ? {
            releaseId: head.releaseId,
            ...(head.digest ? { digest: head.digest } : {}),
            ...(t.rolledBack.to ? { taskDefinitionArn: t.rolledBack.to } : {}),
          }
        : t.rolledBack?.to
          ? { taskDefinitionArn: t.rolledBack.to }
          : undefined;
    const entry: ReleaseLedgerEntry = {
      kind: 'release',
      id: releaseEntryId(release.id, t.environment, t.service),
      service: t.service,
      environment: t.environment,
      projectId: release.project.id,
      projectPath: release.project.path,
      outcome: t.outcome,
      at,
      recordedAt: now,
      releaseId: release.id,
      ...(digests[t.service] ? { digest: digests[t.service] } : {}),
      commitSha: release.commit.sha,
      deployment: t.deployment,
      ...(head?.commitSha ? { previousSha: head.commitSha } : {}),
      commits: info.commits,
      commitsSource: info.source,
      pipelineFinishedAt: iso(release.createdAt) ?? release.createdAt,
      ...(approval ? { approval } : {}),
      ...(times.startedAt ? { rolloutStartedAt: times.startedAt } : {}),
      ...(t.outcome === 'deployed' ? { rolloutFinishedAt: at } : {}),
      ...(failed ? { failedAt: at } : {}),
      ...(t.outcome !== 'deployed' && doc.error
        ? { error: { error: doc.error.Error ?? 'Unknown', ...(cause ? { cause } : {}) } }
        : {}),
      ...(restored ? { restored } : {}),
      unplanned: reasons.length > 0,
      unplannedReasons: reasons,
      ...(doc.afterReleaseEnded ? { note: FINISHED_AFTER_RELEASE } : {}),
    };
    const r = await appendLedgerEntry(entry, store);
    (r.written ? written : skipped).push(entry.id);

    if (t.rolledBack) {
      const rollback: RollbackLedgerEntry = {
        kind: 'rollback',
        id: rollbackEntryId(release.id, t.environment, t.service),
        service: t.service,
        environment: t.environment,
        projectId: release.project.id,
        projectPath: release.project.path,
        outcome: t.outcome,
        at: rbFinished ?? now,
        recordedAt: now,
        rollbackId: release.id,
        rolledBackReleaseId: release.id,
        ...(digests[t.service] ? { rolledBackDigest: digests[t.service] } : {}),
        restored: restored ?? {},
        detectedAt: at,
        restoredAt: rbFinished ?? now,
        by: t.outcome === 'rolled-back-by-ecs' ? 'ecs' : 'shipgate',
        ...(doc.error?.Error ? { reason: doc.error.Error } : {}),
        ...(doc.afterReleaseEnded ? { note: FINISHED_AFTER_RELEASE } : {}),
      };
      const rr = await appendLedgerEntry(rollback, store);
      (rr.written ? written : skipped).push(rollback.id);
      if (digests[t.service]) await quarantineDigest(rollback, digests[t.service], store);
    }
  }
  logger.info('Ledger entries recorded', {
    releaseId: release.id,
    written: written.length,
    skipped: skipped.length,
  });
  return { written, skipped };
}

/** A finished manual rollback, as `shipgate rollback` recorded it. */
export interface ManualRollbackFacts {
  id: string;
  service: string;
  environment: string;
  by: string;
  reason: string;
  requestedAt: string;
  finishedAt: string;
  from: { digest: string; releaseId: string };
  to: { digest: string; releaseId: string };
  project: { id: number; path: string };
  /** Commit of the restored release, when its record is known (moves the compare base back). */
  restoredSha?: string;
}

/**
 * Writes the ledger entry of a manual rollback (`rolled-back-by-hand`), quarantines the digest it took out
 * and points the environment head back at the restored release. Idempotent per rollback id.
 */
export async function recordManualRollbackInLedger(
  facts: ManualRollbackFacts,
  deps: LedgerStoreDeps & { now?: () => Date } = {},
): Promise<{ written: boolean }> {
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const store: LedgerStoreDeps = {
    ...(deps.ddb ? { ddb: deps.ddb } : {}),
    ...(deps.table ? { table: deps.table } : {}),
  };
  const entry: RollbackLedgerEntry = {
    kind: 'rollback',
    id: rollbackEntryId(facts.id, facts.environment, facts.service),
    service: facts.service,
    environment: facts.environment,
    projectId: facts.project.id,
    projectPath: facts.project.path,
    outcome: 'rolled-back-by-hand',
    at: iso(facts.finishedAt) ?? now,
    recordedAt: now,
    rollbackId: facts.id,
    rolledBackReleaseId: facts.from.releaseId,
    rolledBackDigest: facts.from.digest,
    restored: { releaseId: facts.to.releaseId, digest: facts.to.digest },
    detectedAt: iso(facts.requestedAt) ?? now,
    restoredAt: iso(facts.finishedAt) ?? now,
    by: facts.by,
    reason: facts.reason,
  };
  const { written } = await appendLedgerEntry(entry, store);
  await quarantineDigest(entry, facts.from.digest, store);
  if (facts.restoredSha) {
    await restoreLedgerHead(
      {
        environment: facts.environment,
        service: facts.service,
        releaseId: facts.to.releaseId,
        commitSha: facts.restoredSha,
        digest: facts.to.digest,
        at: entry.at,
      },
      store,
    );
  }
  return { written };
}
