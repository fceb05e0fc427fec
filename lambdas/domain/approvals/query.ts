import type { ApprovalDeps } from './deps';
import { personalLinks } from './notify';
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
 * Each approver's personal confirm-page link for an open approval (what the chat message carries), for
 * operators who print links in the sandbox. These links are capabilities: show them only to their owners
 * and never log them.
 */
export async function approvalLinksFor(
  view: ApprovalView,
  deps: ApprovalDeps,
): Promise<{ approver: string; name: string; url: string }[]> {
  if (view.status !== 'OPEN') return [];
  const links = await personalLinks(deps, view);
  return view.policy.approvers
    .filter((a) => links[a.key])
    .map((a) => ({ approver: a.key, name: a.name, url: links[a.key] }));
}
