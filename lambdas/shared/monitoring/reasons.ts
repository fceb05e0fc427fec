import { FAILURE_REASONS, type FailureReason } from './names';

/**
 * Why a release ended: for its own reasons or for Shipgate's. The line between them is the error name (a
 * contract, docs/architecture.md "Error names"): these are the errors Shipgate raises on purpose when a
 * release must not go on. Everything else — `States.Runtime`, `States.TaskFailed`, `States.Timeout` of a
 * task, `Lambda.Unknown`, `Lambda.ServiceException`, a `TypeError`, `ConfigError`, an unknown name — is
 * Shipgate failing, and pages the team (an allowlist, so a new unexpected error is never silent).
 */
export const RELEASE_ERROR_NAMES: ReadonlySet<string> = new Set([
  // The scan gate stopped the release (findings over the policy, or no scan result).
  'ScanGateFailed',
  // People: rejected, nobody decided in time, a newer release took the approval.
  'ApprovalRejected',
  'ApprovalExpired',
  'ApprovalSuperseded',
  // Rollouts: ECS or CodeDeploy rolled back, never settled, or a newer release runs there.
  'RolloutFailed',
  'RolloutStuck',
  'RollbackFailed',
  'RolloutLocked',
  'ReleaseSuperseded',
  'PromotionRefused',
  'ImageNotPinned',
  'DigestQuarantined',
  // Smoke checks failed.
  'VerifyFailed',
  // A deploy freeze with policy "fail".
  'DeployFrozen',
  // The release's inputs: an image that is not in ECR, a deploy contract Terraform did not publish.
  'ImageNotFoundError',
  'ContractError',
]);

/**
 * Whether an error name is a release's reason or Shipgate's own.
 * @example failureReason('ScanGateFailed') // 'Release'
 * @example failureReason('States.Runtime') // 'Shipgate'
 */
export function failureReason(errorName: string | undefined): FailureReason {
  return errorName && RELEASE_ERROR_NAMES.has(errorName) ? FAILURE_REASONS.release : FAILURE_REASONS.shipgate;
}

/**
 * Why an execution that did not succeed ended, from its status and error (EventBridge "Step Functions
 * Execution Status Change", DescribeExecution): FAILED by its error name; TIMED_OUT is Shipgate's (the
 * workflow bounds every wait itself, so a whole execution timing out means it lost track); ABORTED is a
 * person's StopExecution.
 * @example executionEndReason('FAILED', 'ApprovalRejected') // 'Release'
 */
export function executionEndReason(status: string, errorName?: string): FailureReason {
  if (status === 'ABORTED') return FAILURE_REASONS.stopped;
  if (status === 'TIMED_OUT') return FAILURE_REASONS.shipgate;
  return failureReason(errorName);
}
