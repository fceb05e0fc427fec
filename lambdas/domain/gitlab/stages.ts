import * as z from '../../shared/zod';
import { releaseSchema, type Release } from '../../shared/release';
import { deciders } from '../decisions/identity';
import { reportDeployment, reportStatus, type CommitState, type FeedbackDeps } from './feedback';

/**
 * GitLab feedback at each point of the release workflow, one call per step handler. Each never throws and is
 * bounded in time (see `reportStatus` / `reportDeployment`); steps call them as a single awaited line.
 *
 * | step | call | GitLab sees |
 * |---|---|---|
 * | request-approval | `feedbackApprovalRequested` | `shipgate/<env>` pending |
 * | start-rollout | `feedbackRolloutStarted` | `shipgate/<env>` running (naming who approved), deployment running |
 * | verify | `feedbackVerified` | `shipgate/<env>` success (naming who approved), deployment success |
 * | report-failure | `feedbackFailed` | the failed stage failed (or canceled), its deployment failed |
 *
 * (`shipgate/scan` is set by the scan step itself.)
 */

/** Where the status links to, and the environment's approval (`$.approvals.<env>`) when the step has it. */
export interface StageLink {
  executionArn?: string;
  approval?: StageApproval;
}

/** What `shipgate/<env>` says about the approval: the "Approve <env>" task output (`ApprovalTaskOutput`). */
export interface StageApproval {
  approvedBy?: string[];
  approvedVia?: string[];
  approvedNames?: string[];
}

/**
 * "Approved by Alice, Bob (@alice via GitLab, @bob via Slack)", in the chat follow-up's words (`deciders`),
 * or undefined when the approval names nobody. Names fall back to the usernames (older task outputs).
 */
export function approvalWords(approval: StageApproval | undefined): string | undefined {
  const keys = approval?.approvedBy ?? [];
  if (keys.length === 0) return undefined;
  const names = keys.map((k, i) => approval?.approvedNames?.[i] || k);
  const votes = Object.fromEntries(keys.map((k, i) => [k, { via: approval?.approvedVia?.[i] }]));
  return `Approved by ${deciders(names, votes, keys)}`;
}

/**
 * A `shipgate/<env>` description that says who approved first (so GitLab's 255-character cut takes the
 * stage words, not the names), e.g. "Approved by Alice (@alice via GitLab) · Deploying api to production".
 */
function withApproval(words: string, link: StageLink): string {
  const approved = approvalWords(link.approval);
  return approved ? `${approved} · ${words}` : words;
}

/** "Approve <env>" opened: `shipgate/<env>` pending. */
export async function feedbackApprovalRequested(
  release: Release,
  environment: string,
  link: StageLink = {},
  deps: FeedbackDeps = {},
): Promise<void> {
  await reportStatus(
    release,
    environment,
    'pending',
    { ...link, description: `Waiting for approval to deploy to ${environment}` },
    deps,
  ).catch(() => false);
}

/**
 * A rollout started in `environment`. The Map runs one rollout per service: only the release's first
 * service reports, so GitLab gets one status and one deployment per environment, not one per service.
 */
export async function feedbackRolloutStarted(
  release: Release,
  environment: string,
  service: string,
  link: StageLink = {},
  deps: FeedbackDeps = {},
): Promise<void> {
  if (service !== release.services[0]) return;
  await Promise.all([
    reportStatus(
      release,
      environment,
      'running',
      {
        executionArn: link.executionArn,
        description: withApproval(`Deploying ${release.services.join(', ')} to ${environment}`, link),
      },
      deps,
    ),
    reportDeployment(release, environment, 'running', deps),
  ]).catch(() => undefined);
}

/** "Verify <env>" passed: `shipgate/<env>` success and the GitLab deployment success. */
export async function feedbackVerified(
  release: Release,
  environment: string,
  link: StageLink = {},
  deps: FeedbackDeps = {},
): Promise<void> {
  await Promise.all([
    reportStatus(
      release,
      environment,
      'success',
      {
        executionArn: link.executionArn,
        description: withApproval(`Deployed to ${environment} and verified`, link),
      },
      deps,
    ),
    reportDeployment(release, environment, 'success', deps),
  ]).catch(() => undefined);
}

/** The parts of the release document `feedbackFailed` reads (`$` as "Report failure" receives it). */
export interface FailedReleaseDocument {
  release: Release;
  scan?: unknown;
  approvals?: Record<string, unknown>;
  verify?: Record<string, unknown>;
  error?: { Error?: string; Cause?: string };
  executionArn?: string;
}

/**
 * Errors that stop a release because a newer one overtook it (while it waited for approval, or when it was
 * about to deploy over the newer one): the stage is `canceled`, not failed, and the release SUPERSEDED.
 */
export const SUPERSEDED_ERRORS: ReadonlySet<string> = new Set(['ApprovalSuperseded', 'ReleaseSuperseded']);
/** Errors raised before any rollout of the environment started. */
const BEFORE_ROLLOUT = new Set(['ApprovalRejected', 'ApprovalSuperseded', 'ApprovalExpired', 'DeployFrozen']);

/**
 * Which stage a failed release stopped in: `scan` when it never got past the scan, else the first
 * environment it had not finished (verified).
 */
export function failedStage(doc: FailedReleaseDocument): string {
  if (doc.scan === undefined || (doc.scan as { passed?: unknown }).passed === false) return 'scan';
  return doc.release.environments.find((env) => doc.verify?.[env] === undefined) ?? 'scan';
}

function readableCause(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // a plain cause string
  }
  return cause;
}

/**
 * "Report failure": the stage the release stopped in becomes `failed` (`canceled` when superseded), with the
 * error as description; when a rollout had started there, its open GitLab deployment becomes `failed` (none
 * is created for environments that never started rolling out).
 */
export async function feedbackFailed(doc: FailedReleaseDocument, deps: FeedbackDeps = {}): Promise<void> {
  try {
    const stage = failedStage(doc);
    const error = doc.error?.Error ?? 'Unknown';
    const state: CommitState = SUPERSEDED_ERRORS.has(error) ? 'canceled' : 'failed';
    const cause = readableCause(doc.error?.Cause);
    const waitingForApproval = stage !== 'scan' && doc.approvals?.[stage] === undefined;
    const timedOut = error === 'ApprovalExpired' || (error === 'States.Timeout' && waitingForApproval);
    const label = timedOut ? 'Approval timed out' : error;
    const description = `${label}${cause ? `: ${cause.split('\n')[0]}` : ''}`;
    const rolloutStarted =
      stage !== 'scan' && doc.approvals?.[stage] !== undefined && !BEFORE_ROLLOUT.has(error);
    await Promise.all([
      reportStatus(doc.release, stage, state, { executionArn: doc.executionArn, description }, deps),
      rolloutStarted
        ? reportDeployment(doc.release, stage, state, { ...deps, createIfMissing: false })
        : Promise.resolve(false),
    ]);
  } catch {
    // Best effort by contract: reportStatus/reportDeployment already log their own failures.
  }
}

/*
 * Step payload adapters: each takes the raw payload a step handler received, picks what feedback needs
 * (ignoring anything it does not recognise) and never throws, so a handler wires feedback with one line.
 */

const stepPayloadSchema = z.object({
  release: releaseSchema,
  environment: z.optional(z.string().check(z.minLength(1))),
  executionArn: z.optional(z.string()),
  image: z.optional(z.looseObject({ service: z.string() })),
  /** `$.approvals.<env>` (start-rollout and verify get it); anything unexpected is ignored, not fatal. */
  approval: z.catch(
    z.optional(
      z.looseObject({
        approvedBy: z.optional(z.array(z.string())),
        approvedVia: z.optional(z.array(z.string())),
        approvedNames: z.optional(z.array(z.string())),
      }),
    ),
    undefined,
  ),
});

function readPayload(event: unknown) {
  const parsed = stepPayloadSchema.safeParse(event);
  return parsed.success ? parsed.data : undefined;
}

/** request-approval payload `{ environment, release, executionArn, … }` → `feedbackApprovalRequested`. */
export async function feedbackForApprovalPayload(event: unknown, deps: FeedbackDeps = {}): Promise<void> {
  const p = readPayload(event);
  if (p?.environment) await feedbackApprovalRequested(p.release, p.environment, p, deps);
}

/** start-rollout payload `{ environment, release, image, executionArn, … }` → `feedbackRolloutStarted`. */
export async function feedbackForRolloutPayload(event: unknown, deps: FeedbackDeps = {}): Promise<void> {
  const p = readPayload(event);
  if (p?.environment && p.image) {
    await feedbackRolloutStarted(p.release, p.environment, p.image.service, p, deps);
  }
}

/** verify payload `{ environment, release, … }`, after the checks passed → `feedbackVerified`. */
export async function feedbackForVerifiedPayload(event: unknown, deps: FeedbackDeps = {}): Promise<void> {
  const p = readPayload(event);
  if (p?.environment) await feedbackVerified(p.release, p.environment, p, deps);
}

/** report-failure payload (the release document with `$.error`) → `feedbackFailed`. */
export async function feedbackForFailurePayload(event: unknown, deps: FeedbackDeps = {}): Promise<void> {
  const p = readPayload(event);
  if (p) await feedbackFailed({ ...(event as FailedReleaseDocument), release: p.release }, deps);
}
