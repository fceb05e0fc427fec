import type { ApprovalDeps } from './deps';
import { approvalReviewUrl } from './notify';
import { listPendingApprovalIds, readApprovalRecord, toView } from './store';
import type { ApprovalView } from './types';

/**
 * Read-only questions about approvals for the releases API, the sandbox console and the CLI. Nothing here
 * returns a task token.
 */

/**
 * Open approval requests of a GitLab project, oldest release first.
 * @example const pending = await listOpenApprovals(42, approvalDeps());
 */
export async function listOpenApprovals(projectId: number, deps: ApprovalDeps): Promise<ApprovalView[]> {
  const views: ApprovalView[] = [];
  for (const id of await listPendingApprovalIds(deps, projectId)) {
    const record = await readApprovalRecord(deps, id);
    if (record?.status === 'OPEN') views.push(toView(record));
  }
  return views;
}

/**
 * The review link of an open approval (what the chat message carries) and who may decide there. The link
 * grants nothing: deciding needs signing in with GitLab as one of the approvers.
 */
export function reviewFor(
  view: ApprovalView,
  deps: Pick<ApprovalDeps, 'env'>,
): { url: string; approvers: { approver: string; name: string; voted: boolean }[] } | undefined {
  if (view.status !== 'OPEN') return undefined;
  return {
    url: approvalReviewUrl(deps, view),
    approvers: view.policy.approvers.map((a) => ({
      approver: a.key,
      name: a.name,
      voted: Boolean(view.votes[a.key]),
    })),
  };
}
