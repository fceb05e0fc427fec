import { ddb } from '../shared/clients/dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { clientForEnvironment, environmentAws } from '../shared/clients/environment';
import { ssm } from '../shared/clients/ssm';
import { getConfig } from '../shared/config';
import { tableName } from '../shared/env';
import { BadRequestError } from '../shared/errors';
import { environmentImagesInputSchema } from '../domain/rollout/types';
import { verifyRelease, type VerifyResult } from '../domain/verify/smoke';
import { feedbackForVerifiedPayload } from '../domain/gitlab/stages';
import { announceDeps } from '../domain/outcomes/announce';
import { announceDeployed, rolloutStartedAt } from '../domain/outcomes/from-steps';
import { countReleaseErrors } from '../shared/monitoring/emit';

/**
 * "Verify <env>" (Lambda): payload `{ environment, release, images }`. HTTP smoke checks of every
 * service; `{ passed: true, checks }` or error `VerifyFailed` with per-service detail. On success it posts
 * the environment's "Deployed" message.
 */
export const handler = countReleaseErrors('verify', async (event: unknown): Promise<VerifyResult> => {
  const parsed = environmentImagesInputSchema.safeParse(event);
  if (!parsed.success) {
    throw new BadRequestError(
      `Invalid verify payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const config = getConfig();
  // Contracts of an environment with its own account are read there, with its deploy role.
  const environmentSsm = (environment: string) =>
    clientForEnvironment(SSMClient, ssm, environmentAws(config, environment));
  const startedAt = await rolloutStartedAt(parsed.data, {
    ssm,
    environmentSsm,
    ddb,
    table: tableName(),
    config,
  });
  const result = await verifyRelease(parsed.data, {
    ssm,
    environmentSsm,
    ddb,
    table: tableName(),
    config,
    fetch: globalThis.fetch,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  await feedbackForVerifiedPayload(event); // GitLab shipgate/<env> + deployment success; best effort, never throws
  // Chat: "Deployed to <env>" with digests and how long rollout + smoke checks took; never throws.
  await announceDeployed(parsed.data, { startedAt, checks: result.checks.length }, announceDeps({ config }));
  return result;
});
