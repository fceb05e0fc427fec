import * as z from '../shared/zod';
import { formatIssues } from '../shared/config';
import { BadRequestError } from '../shared/errors';
import { releaseSchema } from '../shared/release';
import { checkFreeze } from '../domain/freeze/check';
import type { FreezeState } from '../domain/freeze/windows';
import { announceDeps } from '../domain/outcomes/announce';
import { announceFrozen } from '../domain/outcomes/from-steps';
import { countReleaseErrors } from '../shared/monitoring/emit';

const payloadSchema = z.object({ environment: z.string().check(z.minLength(1)), release: releaseSchema });

/**
 * "Check freeze <env>" state: `{ environment, release }` → `{ frozen, until?, reason? }`. The state machine
 * waits until `until` when frozen; throws `DeployFrozen` when the environment's `onFreeze` is `fail`.
 */
export const handler = countReleaseErrors('check-freeze', async (event: unknown): Promise<FreezeState> => {
  const parsed = payloadSchema.safeParse(event);
  if (!parsed.success) {
    throw new BadRequestError(`Check freeze payload is invalid:\n${formatIssues(parsed.error.issues)}`);
  }
  const state = await checkFreeze(parsed.data);
  // Chat: "Held by a deploy freeze until …", once per window end; never throws.
  await announceFrozen(parsed.data, state, announceDeps());
  return state;
});
