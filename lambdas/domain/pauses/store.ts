import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { gateStore } from '../decisions/store';
import type { PauseOutcome, PauseRecord, PauseView, PauseVote } from './types';

/**
 * DynamoDB access for pauses (`PAUSE#<id>` / `PAUSE`), on the gates' shared conditional writes
 * (`../decisions/store`). Every rule is one conditional write: a vote needs the
 * pause OPEN and the approver not to have voted; closing is OPEN → final exactly once, and only the caller
 * that wins it talks to ECS.
 */

/** Where pauses live. */
export interface PauseStoreDeps {
  ddb: Pick<DynamoDBDocumentClient, 'send'>;
  table: string;
}

/** Key of a pause item. */
export const pauseKey = (id: string) => ({ pk: `PAUSE#${id}`, sk: 'PAUSE' as const });

/** The view of a stored pause (drops keys and counters). */
export function toPauseView(record: PauseRecord): PauseView {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { pk, sk, continueCount, notifiedAt, ttl, ...view } = record;
  return { ...view, votes: record.votes ?? {} };
}

export const {
  /** Creates the pause unless it exists; `true` when this call created it. */
  create: createPauseRecord,
  /** Reads a pause (strongly consistent). */
  read: readPauseRecord,
  /** Records one decision (OPEN, first decision of this approver). `undefined` when the condition failed. */
  vote: putPauseVote,
  /** OPEN → final, exactly once. Returns the closed item when this call closed it. */
  close: closePauseRecord,
  /** Overwrites a closed pause's outcome (ECS did not take the decision). */
  revise: revisePauseRecord,
  /** Notes that the pause message reached chat (a retried invoke does not post twice). */
  markNotified: markPauseNotified,
} = gateStore<PauseRecord, PauseVote, PauseOutcome>({
  key: pauseKey,
  counter: 'continueCount',
  counts: (vote) => vote.decision === 'continue',
});
