import { ddb } from '../shared/clients/dynamodb';
import { ssm } from '../shared/clients/ssm';
import { getConfig } from '../shared/config';
import { tableName } from '../shared/env';
import { BadRequestError } from '../shared/errors';
import { environmentImagesInputSchema } from '../domain/rollout/types';
import { verifyRelease, type VerifyResult } from '../domain/verify/smoke';
import { feedbackForVerifiedPayload } from '../domain/gitlab/stages';

/**
 * "Verify <env>" (Lambda): payload `{ environment, release, images }`. HTTP smoke checks of every
 * service; `{ passed: true, checks }` or error `VerifyFailed` with per-service detail.
 */
export const handler = async (event: unknown): Promise<VerifyResult> => {
  const parsed = environmentImagesInputSchema.safeParse(event);
  if (!parsed.success) {
    throw new BadRequestError(
      `Invalid verify payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const result = await verifyRelease(parsed.data, {
    ssm,
    ddb,
    table: tableName(),
    config: getConfig(),
    fetch: globalThis.fetch,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  await feedbackForVerifiedPayload(event); // GitLab shipgate/<env> + deployment success; best effort, never throws
  return result;
};
