/**
 * Text helpers for Slack mrkdwn and Mattermost markdown. Both treat `&`, `<` and `>` specially (Slack
 * documents the three escapes; Mattermost decodes the entities), and both turn `@channel`/`@here` into
 * mass mentions, so anything that came from a commit or a person is passed through `escapeChat`.
 */

/**
 * Escapes text for a chat message: HTML-style escapes for `& < >` (no links, no `<!channel>`), and a
 * zero-width space after `@` in mass mentions so a commit title cannot page the whole channel.
 * @example escapeChat('fix <b> @channel') // 'fix &lt;b&gt; @\u200bchannel'
 */
export function escapeChat(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(channel|here|all|everyone)\b/gi, '@\u200b$1');
}

/**
 * A Slack mrkdwn link `<url|label>`; the label is escaped and the URL must be one Shipgate built.
 * @example slackLink('https://example.com/x', 'Pipeline #12') // '<https://example.com/x|Pipeline #12>'
 */
export function slackLink(url: string, label: string): string {
  return `<${url.replace(/[<>|]/g, encodeURIComponent)}|${escapeChat(label).replace(/\|/g, '¦')}>`;
}

/**
 * Cuts text to `max` characters with an ellipsis (Block Kit rejects over-long fields).
 * @example truncate('abcdef', 4) // 'abc…'
 */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** The first 8 characters of a commit SHA, as GitLab shows it. */
export const shortSha = (sha: string) => sha.slice(0, 8);

/**
 * Ends `text` as a sentence: adds a full stop only when it does not already end in `.`, `!`, `?` or `…`,
 * so a reason a person typed ("needs review.") is rendered as given, never "review..".
 * @example asSentence('Rejected by Bob: needs review.') // 'Rejected by Bob: needs review.'
 */
export function asSentence(text: string): string {
  const trimmed = text.trimEnd();
  return /[.!?…]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
