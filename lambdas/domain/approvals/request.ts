import { releaseCommitAuthors } from '../decisions/commit-authors';
import { createHash } from 'node:crypto';
import * as z from '../../shared/zod';
import { getEnvironment, type ShipgateConfig } from '../../shared/config';
import { executionUrl } from '../../shared/links';
import { logger } from '../../shared/logger';
import { releaseSchema } from '../../shared/release';
import { shortSha } from '../chat/format';
import { supersedeApproval } from './close';
import type { ApprovalDeps } from './deps';
import { InvalidApprovalRequestError } from './errors';
import { notifyRequest } from './notify';
import { recordApprovalProgress } from './progress';
import {
  advanceLatestRelease,
  createApprovalRecord,
  listPendingApprovalIds,
  markNotified,
  pendingKey,
  readApprovalRecord,
  toView,
  approvalKey,
} from './store';
import type { ApprovalPolicySnapshot, ApprovalRecord, ApprovalStatus } from './types';

/**
 * "Approve <env>": the `waitForTaskToken` task that opens an approval request. The task result comes later,
 * from a vote (`vote.ts`) or from superseding; this only stores the request and posts the chat message.
 */

const imageSchema = z.object({
  service: z.string().check(z.minLength(1)),
  repository: z.optional(z.string()),
  digest: z.string().check(z.minLength(1)),
  imageUri: z.string().check(z.minLength(1)),
});

/** Payload of the `request-approval` step (see docs/architecture.md). */
export const requestApprovalPayloadSchema = z.object({
  taskToken: z.string().check(z.minLength(1)),
  executionArn: z.string().check(z.minLength(1)),
  environment: z.string().check(z.minLength(1)),
  release: releaseSchema,
  resolved: z.object({ images: z.array(imageSchema) }),
  scan: z.nullish(
    z.looseObject({
      passed: z.optional(z.boolean()),
      text: z.optional(z.string()),
      counts: z.optional(z.record(z.string(), z.number())),
    }),
  ),
});

/** Payload of the `request-approval` step. */
export type RequestApprovalPayload = z.infer<typeof requestApprovalPayloadSchema>;

/** What `requestApproval` did. */
export interface RequestApprovalResult {
  approvalId: string;
  status: ApprovalStatus;
  /** False when Step Functions retried the invoke and the request already existed. */
  created: boolean;
  /** Approvals of older releases this request superseded. */
  superseded: string[];
}

/**
 * Id of the approval for one task token. Deterministic, so a retried invoke (same token) finds its own
 * request; a new token (the state re-entered) makes a new request that replaces the old one. The token is
 * hashed, so the id (which appears in links) reveals nothing about it.
 */
export function approvalIdFor(executionArn: string, environment: string, taskToken: string): string {
  const hash = createHash('sha256').update(`${executionArn}\n${environment}\n${taskToken}`).digest('hex');
  return `apr_${hash.slice(0, 24)}`;
}

/** The environment's approval policy with each approver's identities, as stored on the request. */
export function policySnapshot(config: ShipgateConfig, environment: string): ApprovalPolicySnapshot {
  const policy = getEnvironment(config, environment).approval;
  return {
    approvers: [...new Set(policy.approvers)].map((key) => {
      const a = config.approvers[key] ?? {};
      return { key, name: a.name ?? key, slack: a.slack, email: a.email };
    }),
    quorum: policy.quorum,
    timeoutSeconds: policy.timeout,
    allowSelfApproval: policy.allowSelfApproval,
    selfApproval: policy.selfApproval,
  };
}

function normaliseTime(value: string): string {
  const t = Date.parse(value);
  return Number.isNaN(t) ? value : new Date(t).toISOString();
}

/** Parses the step payload, naming the wrong fields (never echoing values: the payload holds a task token). */
export function parseRequestApprovalPayload(payload: unknown): RequestApprovalPayload {
  const parsed = requestApprovalPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InvalidApprovalRequestError(
      `The request-approval payload does not match { taskToken, executionArn, environment, release, resolved, scan }: ${fields}. Check the "Approve <env>" state's Parameters.`,
    );
  }
  return parsed.data;
}

/** Builds the stored approval item for a request. */
export function buildApprovalRecord(payload: RequestApprovalPayload, deps: ApprovalDeps): ApprovalRecord {
  const { release, environment, executionArn, taskToken } = payload;
  const policy = policySnapshot(deps.config, environment);
  const now = deps.now();
  const createdSeconds = Math.floor(now.getTime() / 1000);
  const expiresAt = createdSeconds + policy.timeoutSeconds;
  const releaseCreatedAt = normaliseTime(release.createdAt);
  const id = approvalIdFor(executionArn, environment, taskToken);
  return {
    ...approvalKey(id),
    gsi1pk: pendingKey(release.project.id),
    gsi1sk: releaseCreatedAt,
    id,
    status: 'OPEN',
    executionArn,
    executionUrl: executionUrl(executionArn, deps.env),
    environment,
    subject: {
      releaseId: release.id,
      projectId: release.project.id,
      projectPath: release.project.path,
      projectUrl: release.project.webUrl,
      commitSha: release.commit.sha,
      commitTitle: release.commit.title,
      commitUrl: release.commit.url,
      ref: release.ref,
      pipelineId: release.pipeline.id,
      pipelineUrl: release.pipeline.url,
      triggeredBy: release.triggeredBy,
      ...(release.commit.author ? { commitAuthors: [release.commit.author.toLowerCase()] } : {}),
      releaseCreatedAt,
      services: release.services,
      images: payload.resolved.images
        .filter((i) => release.services.includes(i.service))
        .map((i) => ({ service: i.service, digest: i.digest, imageUri: i.imageUri })),
      scan: {
        passed: payload.scan?.passed,
        text: payload.scan?.text,
        counts: payload.scan?.counts,
      },
    },
    policy,
    votes: {},
    approveCount: 0,
    createdAt: now.toISOString(),
    expiresAt,
    taskToken,
    // Keep decided approvals for audit for a year after the deadline.
    ttl: expiresAt + 365 * 86400,
  };
}

/**
 * Opens an approval request for "Approve <env>": stores it with the policy and task token, supersedes the
 * project's older pending approvals (or this one, if a newer release already asked), then posts the chat
 * message. Safe to call again with the same payload (Step Functions retrying the invoke).
 * @example await requestApproval(event, approvalDeps())
 */
export async function requestApproval(payload: unknown, deps: ApprovalDeps): Promise<RequestApprovalResult> {
  const input = parseRequestApprovalPayload(payload);
  const record = buildApprovalRecord(input, deps);
  const authors = await releaseCommitAuthors(input.release, input.environment, deps);
  if (authors.length) record.subject.commitAuthors = authors;
  const { release } = input;
  const created = await createApprovalRecord(deps, record);
  const current = created ? record : await readApprovalRecord(deps, record.id);
  if (!current) throw new Error(`Approval ${record.id} vanished right after it was written`);
  logger.info(`Approval ${record.id} ${created ? 'opened' : 'already exists (retried invoke)'}`, {
    approvalId: record.id,
    executionArn: record.executionArn,
    environment: record.environment,
    releaseId: release.id,
  });

  // A newer release of the project already asked for approval: this one is stale, end it now.
  const newer = await advanceLatestRelease(deps, release.project.id, {
    id: release.id,
    createdAt: record.subject.releaseCreatedAt,
  });
  if (newer && newer !== release.id) {
    await supersedeApproval(
      deps,
      record.id,
      newer,
      supersededCause(release.id, record.subject.commitSha, newer),
    );
    const after = await readApprovalRecord(deps, record.id);
    return { approvalId: record.id, status: after?.status ?? 'SUPERSEDED', created, superseded: [] };
  }

  const superseded: string[] = [];
  for (const id of await listPendingApprovalIds(deps, release.project.id)) {
    if (id === record.id) continue;
    const other = await readApprovalRecord(deps, id);
    if (!other || other.status !== 'OPEN') continue;
    const sameRequest = other.subject.releaseId === release.id && other.environment === record.environment;
    const older = other.subject.releaseCreatedAt < record.subject.releaseCreatedAt;
    if (!sameRequest && !older) continue;
    const cause = sameRequest
      ? `Replaced by a new approval request ${record.id} for the same release ${release.id} (the "Approve ${record.environment}" state ran again)`
      : supersededCause(other.subject.releaseId, other.subject.commitSha, release.id, release.commit.sha);
    if (await supersedeApproval(deps, id, release.id, cause)) superseded.push(id);
  }

  if (current.status === 'OPEN' && created) await recordApprovalProgress(deps, toView(current));
  if (current.status === 'OPEN' && !current.notifiedAt) {
    const result = await notifyRequest(deps, toView(current));
    if (result === 'sent') await markNotified(deps, record.id, deps.now().toISOString());
  }
  return { approvalId: record.id, status: current.status, created, superseded };
}

function supersededCause(oldRelease: string, oldSha: string, newRelease: string, newSha?: string): string {
  return `Release ${oldRelease} (${shortSha(oldSha)}) was superseded by the newer release ${newRelease}${
    newSha ? ` (${shortSha(newSha)})` : ''
  }; only the newest release of a project is approved and deployed.`;
}
