import { approvalDeps } from '../domain/approvals/deps';
import { requestApproval, type RequestApprovalResult } from '../domain/approvals/request';
import { feedbackForApprovalPayload } from '../domain/gitlab/stages';

/**
 * "Approve <env>" (`waitForTaskToken`). Payload `{ taskToken, executionArn, environment, release, resolved,
 * scan }`; opens the approval request and posts the chat message. The task result arrives later through
 * SendTaskSuccess (`{ approvalId, approvedBy, decidedAt }`) or SendTaskFailure (`ApprovalRejected`,
 * `ApprovalSuperseded`). The return value is for the invoke's own logs only and never holds the token.
 */
export const handler = async (event: unknown): Promise<Omit<RequestApprovalResult, 'created'>> => {
  await feedbackForApprovalPayload(event); // GitLab shipgate/<env> pending; best effort, bounded, never throws
  const { approvalId, status, superseded } = await requestApproval(event, approvalDeps());
  return { approvalId, status, superseded };
};
