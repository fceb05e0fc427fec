import { logger } from '../../lambdas/shared/logger';
import type { StoredExecution } from '../aws/sfn-model';

/**
 * Marks the release records (DynamoDB) of interrupted executions ABORTED too, so `GET /api/releases` is
 * honest. Runs the releases store of `lambdas/` against the sandbox's DynamoDB.
 */
export async function markReleasesAborted(executions: StoredExecution[]): Promise<void> {
  if (!executions.length) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const store = require('../../lambdas/domain/releases/store') as {
    updateRelease(id: string, patch: Record<string, unknown>): Promise<unknown>;
  };
  for (const e of executions) {
    try {
      await store.updateRelease(e.name, {
        status: 'ABORTED',
        error: { error: e.error ?? 'Sandbox.Interrupted', cause: e.cause },
        ifStatus: ['RUNNING'],
      });
    } catch (err) {
      // No release record (the webhook never created one) or already final: nothing to correct.
      logger.debug('Release record not marked aborted', {
        release: e.name,
        error: (err as Error).message,
      });
    }
  }
}
