import type { ShipgateConfig } from '../../lambdas/shared/config';
import { logger } from '../../lambdas/shared/logger';
import type { SfnEmulator } from '../aws/sfn';
import { approvalLinks, linkedExecutions, type ChatInbox } from './inbox';
import type { PendingApproval } from './pages';

type ApprovalsModule = {
  listOpenApprovals(
    projectId: number,
    deps: unknown,
  ): Promise<{ id: string; executionArn: string; environment: string; policy: { quorum: number } }[]>;
  reviewFor(
    view: unknown,
    deps: unknown,
  ): { url: string; approvers: { approver: string; name: string; voted: boolean }[] } | undefined;
};

/**
 * The approvals executions wait for, with their review link and approvers. Open approvals come from the
 * approvals module itself (the same records the confirm page reads); the chat inbox is the fallback when
 * that module cannot answer.
 */
export function pendingApprovalsQuery(
  config: ShipgateConfig,
  sfn: SfnEmulator,
  chat: ChatInbox,
): () => Promise<PendingApproval[]> {
  let approvalsModule: { mod: ApprovalsModule; deps: unknown } | undefined;
  const approvalsApi = () => {
    if (!approvalsModule) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require('../../lambdas/domain/approvals/query') as ApprovalsModule;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { approvalDeps } = require('../../lambdas/domain/approvals/deps') as {
        approvalDeps(o: object): unknown;
      };
      approvalsModule = { mod, deps: approvalDeps({ config }) };
    }
    return approvalsModule;
  };
  return async () => {
    const out: PendingApproval[] = [];
    const openByProject = new Map<number, Awaited<ReturnType<ApprovalsModule['listOpenApprovals']>>>();
    for (const e of sfn.executions()) {
      if (e.status !== 'RUNNING') continue;
      const current = sfn.currentState(e);
      if (!current || !current.startsWith('Approve ')) continue;
      const environment = current.slice('Approve '.length);
      const enteredAt = [...e.history]
        .reverse()
        .find((h) => (h.stateEnteredEventDetails as { name?: string } | undefined)?.name === current);
      let links: { label: string; url: string }[] = [];
      let review: ReturnType<ApprovalsModule['reviewFor']>;
      try {
        const projectId = (JSON.parse(e.input) as { release?: { project?: { id?: number } } }).release
          ?.project?.id;
        if (typeof projectId === 'number') {
          const { mod, deps } = approvalsApi();
          if (!openByProject.has(projectId))
            openByProject.set(projectId, await mod.listOpenApprovals(projectId, deps));
          const view = openByProject
            .get(projectId)!
            .find((v) => v.executionArn === e.executionArn && v.environment === environment);
          if (view) {
            review = mod.reviewFor(view, deps);
            if (review) links = [{ label: 'Review and decide', url: review.url }];
          }
        }
      } catch (err) {
        logger.warn('Reading open approvals failed; using the chat inbox', {
          error: (err as Error).message,
        });
        const message = chat.data.messages.find(
          (m) =>
            linkedExecutions(m.body).includes(e.executionArn) &&
            approvalLinks(m.body).length > 0 &&
            m.at >= (enteredAt?.timestamp ?? 0) - 1,
        );
        links = message ? approvalLinks(message.body) : [];
      }
      out.push({
        executionArn: e.executionArn,
        executionName: e.name,
        environment,
        state: current,
        since: enteredAt?.timestamp ?? e.startDate,
        links,
        ...(review ? { reviewUrl: review.url, approvers: review.approvers } : {}),
      });
    }
    return out;
  };
}
