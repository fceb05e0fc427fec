import * as z from '../shared/zod';
import { formatIssues } from '../shared/config';
import { BadRequestError } from '../shared/errors';
import { releaseSchema } from '../shared/release';
import { checkFreeze } from '../domain/freeze/check';
import type { FreezeState } from '../domain/freeze/windows';

const payloadSchema = z.object({ environment: z.string().min(1), release: releaseSchema });

/**
 * "Check freeze <env>" state: `{ environment, release }` → `{ frozen, until?, reason? }`. The state machine
 * waits until `until` when frozen; throws `DeployFrozen` when the environment's `onFreeze` is `fail`.
 */
export const handler = async (event: unknown): Promise<FreezeState> => {
  const parsed = payloadSchema.safeParse(event);
  if (!parsed.success) {
    throw new BadRequestError(`Check freeze payload is invalid:\n${formatIssues(parsed.error.issues)}`);
  }
  return checkFreeze(parsed.data);
};
