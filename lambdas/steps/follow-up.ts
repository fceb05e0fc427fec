import { approvalDeps } from '../domain/approvals/deps';
import { runFollowUp } from '../domain/followups/run';
import { parseFollowUp, type FollowUp } from '../domain/followups/types';
import { BadRequestError } from '../shared/errors';

/**
 * The follow-up function (invoked asynchronously by the HTTP function, `InvocationType: Event`): after a
 * vote or a pause decision, tells chat, the release record and GitLab (lambdas/domain/followups). Payload
 * `{ kind: 'approval' | 'pause', id, tell }`; the record is read as it stands now.
 */
export const handler = async (event: unknown): Promise<{ done: FollowUp }> => {
  const task = parseFollowUp(event);
  if (typeof task === 'string') throw new BadRequestError(`Invalid follow-up payload: ${task}`);
  await runFollowUp(approvalDeps(), task);
  return { done: task };
};
