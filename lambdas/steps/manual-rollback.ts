import * as z from '../shared/zod';
import { BadRequestError } from '../shared/errors';
import { announceDeps } from '../domain/outcomes/announce';
import { runManualRollback } from '../domain/rollback/manual';
import type { RollbackEntry } from '../domain/rollback/store';
import { rolloutDeps } from '../domain/rollout/deps';

const payloadSchema = z.object({ rollbackId: z.string().min(1).max(120) });

/**
 * Manual rollback (Lambda, invoked asynchronously by `POST /api/rollbacks`): payload `{ rollbackId }`.
 * Runs the requested rollback once and records it (see `runManualRollback`); its failure is recorded on the
 * entry, never thrown, so Lambda's asynchronous retries do not run it again.
 */
export const handler = async (event: unknown): Promise<RollbackEntry> => {
  const parsed = payloadSchema.safeParse(event);
  if (!parsed.success) {
    throw new BadRequestError(`Invalid manual rollback payload: expected { rollbackId }`);
  }
  const rollout = rolloutDeps();
  return runManualRollback(parsed.data.rollbackId, {
    rollout,
    announce: announceDeps({ config: rollout.config }),
  });
};
