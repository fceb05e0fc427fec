/**
 * A follow-up of a decision: what people are told (chat) and what is recorded outside the decision itself
 * (the release record, the GitLab commit status) after an approval or a pause changed. It names the record
 * only; whoever runs it reads the record as it stands then.
 */
export type FollowUp =
  /** `outcome`: the closed approval's follow-up message and request update; `ended`: only the request
   * update (its execution ended); `progress`: the release record and GitLab only (a vote short of quorum). */
  | { kind: 'approval'; id: string; tell: 'outcome' | 'ended' | 'progress' }
  /** `outcome`: the pause's outcome message and request update, then its progress; `progress`: the release
   * record and the GitLab commit status only. */
  | { kind: 'pause'; id: string; tell: 'outcome' | 'progress' };

/** Kinds and what each may tell (for validating a payload). */
export const FOLLOW_UP_TELLS = {
  approval: ['outcome', 'ended', 'progress'],
  pause: ['outcome', 'progress'],
} as const;

/** Longest record id a follow-up carries (approval and pause ids are far shorter). */
export const MAX_FOLLOW_UP_ID = 512;

/**
 * Reads a follow-up from an untrusted payload (the function's event).
 * @returns the follow-up, or a sentence saying what is wrong with the payload.
 */
export function parseFollowUp(payload: unknown): FollowUp | string {
  const p = payload as { kind?: unknown; id?: unknown; tell?: unknown } | null;
  if (!p || typeof p !== 'object')
    return `a follow-up is an object { kind, id, tell }; received ${typeof payload}`;
  if (p.kind !== 'approval' && p.kind !== 'pause') {
    return `"kind" must be "approval" or "pause"; received ${JSON.stringify(p.kind)}`;
  }
  if (typeof p.id !== 'string' || p.id.length === 0 || p.id.length > MAX_FOLLOW_UP_ID) {
    return `"id" must be a non-empty string of at most ${MAX_FOLLOW_UP_ID} characters`;
  }
  const tells: readonly string[] = FOLLOW_UP_TELLS[p.kind];
  if (typeof p.tell !== 'string' || !tells.includes(p.tell)) {
    return `"tell" of a ${p.kind} must be one of ${tells.join(', ')}; received ${JSON.stringify(p.tell)}`;
  }
  return { kind: p.kind, id: p.id, tell: p.tell } as FollowUp;
}
