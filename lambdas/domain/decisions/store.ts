import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, readConsistent, type ItemKey, type TableAccess } from '../../shared/table';

/**
 * DynamoDB access shared by every gate (approvals `APPROVAL#<id>`, pauses `PAUSE#<id>`): each rule is one
 * conditional write. A gate is created once; a vote needs the gate OPEN (and, where it has one, before its
 * deadline) and the voter not to have voted; closing is OPEN → final exactly once, and only the caller that
 * wins it talks to the workflow.
 */

/** Where gates live. */
export type GateStoreDeps = TableAccess;

/** A gate item's key. */
export type GateKey = ItemKey;

/** Creates the item unless its key exists. Returns `true` when this call created it. */
export async function createIfAbsent(deps: GateStoreDeps, item: GateKey & object): Promise<boolean> {
  try {
    await deps.ddb.send(
      new PutCommand({ TableName: deps.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/** How a vote counts on its gate. */
export interface VoteRules {
  /** The counter beside `votes` that the quorum reads (`approveCount`, `continueCount`). */
  counter: string;
  /** Whether this vote adds one to it. */
  counts: boolean;
  /** Epoch seconds now, for gates with a deadline (`expiresAt` must be later). */
  before?: number;
  /** Also set `updatedAt` to this (ISO 8601). */
  updatedAt?: string;
}

/**
 * Records one vote under `votes.<voter>` in a single conditional write (OPEN, the voter's first vote, before
 * the deadline when `rules.before` is given). Returns the updated item, or `undefined` when the condition
 * failed (the caller reads the item to say why).
 */
export async function recordVote<T>(
  deps: GateStoreDeps,
  key: GateKey,
  voter: string,
  vote: object,
  rules: VoteRules,
): Promise<T | undefined> {
  const deadline = rules.before !== undefined ? ' AND expiresAt > :now' : '';
  return conditional<T>(deps, {
    Key: key,
    UpdateExpression: `SET votes.#a = :vote, #c = #c + :inc${rules.updatedAt ? ', updatedAt = :at' : ''}`,
    ConditionExpression: `#s = :open AND attribute_not_exists(votes.#a)${deadline}`,
    ExpressionAttributeNames: { '#a': voter, '#s': 'status', '#c': rules.counter },
    ExpressionAttributeValues: {
      ':vote': vote,
      ':inc': rules.counts ? 1 : 0,
      ':open': 'OPEN',
      ...(rules.before !== undefined ? { ':now': rules.before } : {}),
      ...(rules.updatedAt ? { ':at': rules.updatedAt } : {}),
    },
  });
}

/** What closing also does. */
export interface CloseRules {
  /** Also set `updatedAt` to the outcome's time. */
  stamp?: boolean;
  /** An index attribute to remove (an approval leaves the pending index). */
  removeIndex?: string;
  /** Overwrite the outcome of an already-closed gate instead (the item must exist). */
  revise?: boolean;
}

/**
 * Moves a gate from OPEN to `outcome.status` exactly once (conditional write). Returns the closed item when
 * this call closed it, `undefined` when it was no longer open. With `revise`, overwrites a closed gate's
 * outcome (a decision the workflow could not take) and returns the item.
 */
export async function closeOnce<T>(
  deps: GateStoreDeps,
  key: GateKey,
  outcome: { status: string; at: string },
  rules: CloseRules = {},
): Promise<T | undefined> {
  return conditional<T>(deps, {
    Key: key,
    UpdateExpression: `SET #s = :status, outcome = :outcome${rules.stamp ? ', updatedAt = :at' : ''}${
      rules.removeIndex ? ` REMOVE ${rules.removeIndex}` : ''
    }`,
    ConditionExpression: rules.revise ? 'attribute_exists(pk)' : '#s = :open',
    ExpressionAttributeNames: { '#s': 'status' },
    ExpressionAttributeValues: {
      ':status': outcome.status,
      ':outcome': outcome,
      ...(rules.stamp ? { ':at': outcome.at } : {}),
      ...(rules.revise ? {} : { ':open': 'OPEN' }),
    },
  });
}

async function conditional<T>(
  deps: GateStoreDeps,
  update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'ReturnValues'>,
): Promise<T | undefined> {
  try {
    const out = await deps.ddb.send(
      new UpdateCommand({ TableName: deps.table, ReturnValues: 'ALL_NEW', ...update }),
    );
    return out.Attributes as T;
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
}

/** Notes on the item when its request message reached chat (a retried invoke does not post twice). */
export async function markNotifiedAt(deps: GateStoreDeps, key: GateKey, at: string): Promise<void> {
  await deps.ddb.send(
    new UpdateCommand({
      TableName: deps.table,
      Key: key,
      UpdateExpression: 'SET notifiedAt = :at',
      ExpressionAttributeValues: { ':at': at },
    }),
  );
}

/** What makes one kind of gate's store. */
export interface GateStoreSpec<V extends { decision: string; at: string }> {
  key: (id: string) => GateKey;
  /** Counter beside `votes` the quorum reads, and which votes add to it. */
  counter: string;
  counts: (vote: V) => boolean;
  /** Votes must arrive before `expiresAt` and set `updatedAt`; closing sets it too. */
  deadline?: boolean;
  /** Index attribute an open gate is listed under, removed when it closes. */
  openIndex?: string;
}

/** The store of one kind of gate: the shared conditional writes under its key and counter. */
export interface GateStore<R, V, O> {
  create(deps: GateStoreDeps, record: R & GateKey): Promise<boolean>;
  read(deps: GateStoreDeps, id: string): Promise<R | undefined>;
  /** `nowSeconds` is required for gates with a deadline. */
  vote(deps: GateStoreDeps, id: string, voter: string, vote: V, nowSeconds?: number): Promise<R | undefined>;
  close(deps: GateStoreDeps, id: string, outcome: O): Promise<R | undefined>;
  revise(deps: GateStoreDeps, id: string, outcome: O): Promise<R>;
  markNotified(deps: GateStoreDeps, id: string, at: string): Promise<void>;
}

/**
 * One gate kind's store over the shared writes.
 * @example const pauses = gateStore<PauseRecord, PauseVote, PauseOutcome>({ key: pauseKey, counter: 'continueCount', counts: (v) => v.decision === 'continue' });
 */
export function gateStore<
  R,
  V extends { decision: string; at: string },
  O extends { status: string; at: string },
>(spec: GateStoreSpec<V>): GateStore<R, V, O> {
  const close = { stamp: spec.deadline, ...(spec.openIndex ? { removeIndex: spec.openIndex } : {}) };
  return {
    create: (deps, record) => createIfAbsent(deps, record),
    read: (deps, id) => readConsistent<R>(deps, spec.key(id)),
    vote: (deps, id, voter, vote, nowSeconds) =>
      recordVote<R>(deps, spec.key(id), voter, vote, {
        counter: spec.counter,
        counts: spec.counts(vote),
        ...(spec.deadline ? { before: nowSeconds ?? 0, updatedAt: vote.at } : {}),
      }),
    close: (deps, id, outcome) => closeOnce<R>(deps, spec.key(id), outcome, close),
    revise: async (deps, id, outcome) =>
      (await closeOnce<R>(deps, spec.key(id), outcome, { ...close, revise: true }))!,
    markNotified: (deps, id, at) => markNotifiedAt(deps, spec.key(id), at),
  };
}
