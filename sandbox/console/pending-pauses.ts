import type { ShipgateConfig } from '../../lambdas/shared/config';
import { logger } from '../../lambdas/shared/logger';

/** A rollout held at an ECS PAUSE hook, waiting for people (an OPEN pause record). */
export interface PendingPause {
  id: string;
  executionArn: string;
  executionName: string;
  environment: string;
  service: string;
  /** Lifecycle stage of the hook (POST_TEST_TRAFFIC_SHIFT…). */
  stage: string;
  /** "Continue" votes so far, and how many it needs. */
  continues: number;
  quorum: number;
  /** Epoch ms: opened, and when ECS takes its timeout action. */
  since: number;
  deadline: number;
  onTimeout: string;
  /** The pause's one review link (sign in with GitLab, then continue or roll back). */
  reviewUrl: string;
  links: { label: string; url: string }[];
  /** The pause's approvers (GitLab usernames) and whether each has voted. */
  approvers: { approver: string; name: string; voted: boolean }[];
}

interface PauseRecordLike {
  id: string;
  status: string;
  executionArn: string;
  environment: string;
  service: string;
  stage: string;
  createdAt: string;
  expiresAt: number;
  votes?: Record<string, { decision: string }>;
  policy: { quorum: number; onTimeout: string; approvers: { key: string; name: string }[] };
}

type PauseModules = {
  scan(): Promise<PauseRecordLike[]>;
  reviewUrl(view: PauseRecordLike): string;
};

/**
 * The pauses people can decide now: OPEN pause records (`PAUSE#<id>`), read from the sandbox's table with
 * their review link and approvers, newest first. The modules load on first use, after the sandbox applied the
 * handlers' environment (table name, endpoint, link key).
 */
export function pendingPausesQuery(config: ShipgateConfig): () => Promise<PendingPause[]> {
  let modules: PauseModules | undefined;
  const load = (): PauseModules => {
    if (modules) return modules;
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { ScanCommand } = require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb');
    const { approvalDeps } = require('../../lambdas/domain/approvals/deps') as {
      approvalDeps(o: object): import('../../lambdas/domain/approvals/deps').ApprovalDeps;
    };
    const { pauseReviewUrl } = require('../../lambdas/domain/pauses/notify') as {
      pauseReviewUrl(deps: unknown, view: { id: string }): string;
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    const deps = approvalDeps({ config });
    modules = {
      scan: async () => {
        const items: PauseRecordLike[] = [];
        let start: Record<string, unknown> | undefined;
        do {
          const page = await deps.ddb.send(
            new ScanCommand({
              TableName: deps.table,
              FilterExpression: 'begins_with(pk, :p) AND sk = :s AND #status = :open',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':p': 'PAUSE#', ':s': 'PAUSE', ':open': 'OPEN' },
              ExclusiveStartKey: start,
            }),
          );
          items.push(...((page.Items ?? []) as PauseRecordLike[]));
          start = page.LastEvaluatedKey;
        } while (start);
        return items;
      },
      reviewUrl: (view) => pauseReviewUrl(deps, view),
    };
    return modules;
  };
  return async () => {
    try {
      const m = load();
      const open = await m.scan();
      const out: PendingPause[] = [];
      for (const p of open) {
        const reviewUrl = m.reviewUrl(p);
        out.push({
          id: p.id,
          executionArn: p.executionArn,
          executionName: p.executionArn.split(':').pop() ?? p.executionArn,
          environment: p.environment,
          service: p.service,
          stage: p.stage,
          continues: Object.values(p.votes ?? {}).filter((v) => v.decision === 'continue').length,
          quorum: p.policy.quorum,
          since: Date.parse(p.createdAt),
          deadline: p.expiresAt * 1000,
          onTimeout: p.policy.onTimeout,
          reviewUrl,
          links: [{ label: 'Review and decide', url: reviewUrl }],
          approvers: p.policy.approvers.map((a) => ({
            approver: a.key,
            name: a.name,
            voted: Boolean(p.votes?.[a.key]),
          })),
        });
      }
      return out.sort((a, b) => b.since - a.since);
    } catch (err) {
      logger.warn('Reading open pauses failed', { error: (err as Error).message });
      return [];
    }
  };
}
