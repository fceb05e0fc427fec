import { logger } from '../../shared/logger';
import type { PauseDeps } from './deps';
import { pauseDeps } from './deps';
import { followUp } from '../followups/dispatch';
import { closePauseRecord, toPauseView } from './store';
import type { PauseOutcome, PauseView } from './types';

/**
 * Ending a pause that nobody decided through Shipgate: ECS took its timeout action, moved on (someone
 * continued it with the AWS CLI, or a CONTINUE timeout), or the rollout ended. Each is one conditional
 * OPEN → final write; only its winner tells people.
 */

/** Closes an open pause with `outcome` and tells people; `undefined` when it was no longer open. */
export async function endPause(
  deps: PauseDeps,
  pauseId: string,
  outcome: Omit<PauseOutcome, 'at' | 'by'>,
): Promise<PauseView | undefined> {
  const closed = await closePauseRecord(deps, pauseId, { ...outcome, at: deps.now().toISOString(), by: [] });
  if (!closed) return undefined;
  const view = toPauseView(closed);
  logger.info(`Pause ${pauseId} closed as ${outcome.status}`, { pauseId, status: outcome.status });
  await followUp(deps, { kind: 'pause', id: view.id, tell: 'outcome' });
  return view;
}

/** The rollout-events path: a later pause or a final event found this pause still open. */
export async function passPauseOnEvent(
  pauseId: string,
  reason: string,
  base: Partial<PauseDeps> = {},
  status: 'PASSED' | 'TIMED_OUT' | 'ENDED' = 'PASSED',
): Promise<PauseView | undefined> {
  try {
    return await endPause(pauseDeps(base), pauseId, { status, reason });
  } catch (err) {
    // Telling people must never stop a rollout from settling.
    logger.warn(`Pause ${pauseId} could not be closed`, { error: (err as Error)?.name });
    return undefined;
  }
}
