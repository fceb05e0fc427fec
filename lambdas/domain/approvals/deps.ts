import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ddb as defaultDdb } from '../../shared/clients/dynamodb';
import { sfn as defaultSfn } from '../../shared/clients/sfn';
import { getConfig, type ShipgateConfig } from '../../shared/config';
import { tableName } from '../../shared/env';
import { getSecret as defaultGetSecret, type SecretName } from '../../shared/secrets';
import type { FollowUp } from '../followups/types';

/** Everything the approval functions touch; each is injectable, the defaults are the process-wide ones. */
export interface ApprovalDeps {
  ddb: DynamoDBDocumentClient;
  sfn: SFNClient;
  table: string;
  config: ShipgateConfig;
  now: () => Date;
  getSecret: (name: SecretName) => Promise<string | undefined>;
  fetch: typeof fetch;
  env: NodeJS.ProcessEnv;
  /** How long a chat post may take (default 5 s; the Slack path uses less to ack within 3 s). */
  chatTimeoutMs?: number;
  /**
   * Sends a decision's follow-up (chat, the release record, GitLab; lambdas/domain/followups/dispatch.ts).
   * @default run in place, or handed to the follow-up function in the HTTP bundle
   */
  followUp?: (task: FollowUp) => Promise<void>;
}

/** Fills in the process-wide defaults for whatever `overrides` leaves out. */
export function approvalDeps(overrides: Partial<ApprovalDeps> = {}): ApprovalDeps {
  const env = overrides.env ?? process.env;
  return {
    ddb: overrides.ddb ?? defaultDdb,
    sfn: overrides.sfn ?? defaultSfn,
    table: overrides.table ?? tableName(),
    config: overrides.config ?? getConfig(),
    now: overrides.now ?? (() => new Date()),
    getSecret: overrides.getSecret ?? ((name) => defaultGetSecret(name, env)),
    fetch: overrides.fetch ?? ((...args) => fetch(...args)),
    env,
    chatTimeoutMs: overrides.chatTimeoutMs,
    ...(overrides.followUp ? { followUp: overrides.followUp } : {}),
  };
}

/** Whole seconds since the epoch of `deps.now()`. */
export const nowSeconds = (deps: Pick<ApprovalDeps, 'now'>) => Math.floor(deps.now().getTime() / 1000);
