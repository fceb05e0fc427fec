import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { logger } from '../../shared/logger';
import type { RolloutDeps } from './deps';
import type { LockItem } from './lock';

/**
 * Whether the lock's owner is an execution that has ended (DescribeExecution: not RUNNING, or gone). A lock
 * without an execution (a manual rollback's) is never taken over: its Lambda run still owns it.
 */
export async function lockOwnerEnded(
  lock: Pick<LockItem, 'executionArn'>,
  deps: Pick<RolloutDeps, 'sfn'>,
): Promise<boolean> {
  if (!lock.executionArn) return false;
  try {
    const d = await deps.sfn.send(new DescribeExecutionCommand({ executionArn: lock.executionArn }));
    return Boolean(d?.status) && d.status !== 'RUNNING' && d.status !== 'PENDING_REDRIVE';
  } catch (err) {
    if ((err as Error)?.name === 'ExecutionDoesNotExist') return true;
    logger.warn('Could not ask Step Functions about the lock owner; the lock stands', {
      error: (err as Error)?.name,
    });
    return false;
  }
}
