/**
 * How a decider was proven, in words, for records and messages (no imports: chat, pages and steps use it).
 */

/** "GitLab" / "Slack" for a vote's identity source. */
export const sourceWords = (via: string | undefined) =>
  via === 'slack' ? 'Slack' : via === 'gitlab' ? 'GitLab' : undefined;

/**
 * How the deciders were proven, as a parenthesis after their names: ` (@alice via GitLab, @bob via Slack)`,
 * or '' when the votes say nothing (older records).
 * @example provenBy({ alice: { via: 'gitlab' } }, ['alice']) // ' (@alice via GitLab)'
 */
export function provenBy(votes: Record<string, { via?: string }>, keys: string[]): string {
  const parts = keys
    .map((k) => (sourceWords(votes[k]?.via) ? `@${k} via ${sourceWords(votes[k]?.via)}` : undefined))
    .filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/**
 * Who decided, by name, then how each was proven: the words every record and message uses after
 * "Approved by" / "Rejected by" (chat follow-ups, the review page, GitLab's `shipgate/<env>` status).
 * `names` are the display names of `keys`, in the same order.
 * @example deciders(['Alice', 'Bob'], { alice: { via: 'gitlab' }, bob: { via: 'slack' } }, ['alice', 'bob'])
 * // 'Alice, Bob (@alice via GitLab, @bob via Slack)'
 */
export function deciders(names: string[], votes: Record<string, { via?: string }>, keys: string[]): string {
  return names.join(', ') + provenBy(votes, keys);
}
