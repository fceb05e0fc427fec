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
