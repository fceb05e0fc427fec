/**
 * The chat panel: each message Shipgate posted (Slack incoming-webhook format) as a compact card rendered
 * from its Block Kit blocks (header, section text and fields, context, actions, divider), newest first,
 * a page at a time. Link targets stay in `href`; only their labels are shown.
 */
import { get as emojiGet } from 'node-emoji';
import { esc, time } from './format';

/** A message as the sandbox's chat inbox stores it. */
export interface ChatMessage {
  at: number;
  text: string;
  body: unknown;
}

/** Messages per chat page. */
export const CHAT_PAGE_SIZE = 8;

type TextObject = { type?: string; text?: string } | undefined;
type Block = {
  type?: string;
  text?: TextObject;
  fields?: TextObject[];
  elements?: { type?: string; text?: TextObject | string; url?: string; style?: string }[];
  accessory?: { type?: string; url?: string; text?: TextObject };
};

/**
 * A Slack `:shortcode:` as its emoji (node-emoji's GitHub/gemoji names, which Slack's names follow); an
 * unknown code stays as written. Emoji newer than node-emoji's data (Unicode 12 circles) are added here.
 */
const NEWER: Record<string, string> = {
  large_green_circle: '🟢',
  large_yellow_circle: '🟡',
  // Slack's name for 🛑 (node-emoji knows it as stop_sign).
  octagonal_sign: '🛑',
};
function emoji(name: string): string | undefined {
  return emojiGet(name) ?? NEWER[name];
}

/**
 * Slack `mrkdwn` to HTML: escapes first, then `<url|label>` links (label shown, URL only in href),
 * `*bold*`, `_italic_`, `~strike~`, `` `code` ``, `:emoji:` and line breaks.
 */
export function mrkdwn(text: string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(/<([^<>|\s]+)(?:\|([^<>]*))?>/g)) {
    out += inline(text.slice(last, m.index));
    const url = m[1];
    const label = m[2] ?? (url.length > 40 ? `${url.slice(0, 37)}…` : url);
    out += /^(https?:|mailto:)/.test(url)
      ? `<a href="${esc(url)}" target="_blank" rel="noopener noreferrer">${inline(label)}</a>`
      : esc(m[0]);
    last = (m.index ?? 0) + m[0].length;
  }
  return out + inline(text.slice(last));
}

function inline(text: string): string {
  return esc(text)
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=[\s).,:;!?]|$)/g, '$1<b>$2</b>')
    .replace(/(^|[\s(])_([^_\n]+)_(?=[\s).,:;!?]|$)/g, '$1<i>$2</i>')
    .replace(/(^|[\s(])~([^~\n]+)~(?=[\s).,:;!?]|$)/g, '$1<s>$2</s>')
    .replace(/:([a-z0-9_+-]+):/g, (all, name: string) => emoji(name) ?? all)
    .replace(/\n/g, '<br>');
}

function textObject(t: TextObject): string {
  if (!t?.text) return '';
  return t.type === 'plain_text' ? esc(t.text).replace(/\n/g, '<br>') : mrkdwn(t.text);
}

/**
 * The requests (approvals, pauses) still taking decisions, by id, as the sandbox knows them. A card whose
 * decision links point at a request no longer in it is shown decided: the inbox's `chat.update`.
 */
export interface OpenRequests {
  approvals: ReadonlySet<string>;
  pauses: ReadonlySet<string>;
}

/** The approval or pause a decision link points at (`…/approvals/<id>…`, `…/pauses/<id>…`). */
export function decisionRequest(url: string): { kind: 'approvals' | 'pauses'; id: string } | undefined {
  const m = /\/(approvals|pauses)\/([^/?#]+)/.exec(url);
  if (!m) return undefined;
  try {
    return { kind: m[1] as 'approvals' | 'pauses', id: decodeURIComponent(m[2]) };
  } catch {
    return undefined;
  }
}

let closedLinks: ((url: string) => boolean) | undefined;

function button(e: { url?: string; text?: TextObject | string; style?: string }): string {
  const label = (typeof e.text === 'string' ? esc(e.text) : textObject(e.text)) || 'Open';
  if (e.url && closedLinks?.(e.url))
    return `<span class="chat-button closed" title="Decided: this request no longer takes decisions">${label}</span>`;
  return e.url
    ? `<a class="chat-button${e.style ? ` ${esc(e.style)}` : ''}" href="${esc(e.url)}" target="_blank" rel="noopener noreferrer">${label}</a>`
    : `<span class="chat-button">${label}</span>`;
}

/** One Block Kit block as HTML. */
function block(b: Block): string {
  switch (b.type) {
    case 'header':
      return `<div class="b-header">${textObject(b.text)}</div>`;
    case 'section': {
      const fields = (b.fields ?? []).map((f) => `<div>${textObject(f)}</div>`).join('');
      const acc = b.accessory?.type === 'button' ? button(b.accessory) : '';
      return `<div class="b-section">${b.text ? `<div>${textObject(b.text)}</div>` : ''}${fields ? `<div class="b-fields">${fields}</div>` : ''}${acc}</div>`;
    }
    case 'context':
      return `<div class="b-context">${(b.elements ?? [])
        .map((e) => (e?.type === 'image' ? '' : `<span>${textObject(e as TextObject)}</span>`))
        .join(' ')}</div>`;
    case 'actions':
      return `<div class="b-actions">${(b.elements ?? []).map((e) => button(e)).join('')}</div>`;
    case 'divider':
      return '<hr class="b-divider">';
    case 'rich_text':
    case 'image':
    default:
      return '';
  }
}

/**
 * One message as a card: its blocks when it has some, else its `text` as mrkdwn. With `open`, a request
 * card (approval, pause) that no longer takes decisions is shown decided, its buttons inert, as Slack's
 * `chat.update` turns it in a workspace with the Slack app (an incoming webhook cannot edit a message).
 */
export function renderChatCard(m: ChatMessage, open?: OpenRequests): string {
  const body = (m.body ?? {}) as { blocks?: Block[]; attachments?: { blocks?: Block[]; color?: string }[] };
  const blocks = [...(body.blocks ?? []), ...(body.attachments ?? []).flatMap((a) => a.blocks ?? [])];
  // The requests its buttons decide (an outcome message has no decision buttons).
  const requests = blocks
    .flatMap((b) => [
      ...(b.type === 'actions' ? (b.elements ?? []) : []),
      ...(b.accessory ? [b.accessory] : []),
    ])
    .map((e) => (e.url ? decisionRequest(e.url) : undefined))
    .filter((r): r is NonNullable<typeof r> => r !== undefined);
  const decided = Boolean(open && requests.length && requests.every((r) => !open[r.kind].has(r.id)));
  closedLinks = decided ? (url) => decisionRequest(url) !== undefined : undefined;
  let content: string;
  try {
    content = blocks.length ? blocks.map(block).join('') : `<div class="b-section">${mrkdwn(m.text)}</div>`;
  } finally {
    closedLinks = undefined;
  }
  if (decided) {
    content = `<div class="b-context decided-note">Decided: this request no longer takes decisions; its outcome is posted in a later message.</div>${content}`;
  }
  return `<li class="chat-card${decided ? ' decided' : ''}"><time datetime="${esc(new Date(m.at * 1000).toISOString())}">${esc(time(m.at))}</time>${content}</li>`;
}

/** A page of the chat panel (1-based), newest first, with links to the other pages. */
export function renderChat(
  messages: ChatMessage[],
  page: number,
  pageHref: (page: number) => string,
  open?: OpenRequests,
): string {
  if (!messages.length) return '<p class="empty">No chat message yet.</p>';
  const newestFirst = [...messages].sort((a, b) => b.at - a.at);
  const pages = Math.max(1, Math.ceil(newestFirst.length / CHAT_PAGE_SIZE));
  const p = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  const shown = newestFirst.slice((p - 1) * CHAT_PAGE_SIZE, p * CHAT_PAGE_SIZE);
  const nav =
    pages > 1
      ? `<nav class="pager" aria-label="Chat pages">${p > 1 ? `<a href="${esc(pageHref(p - 1))}" data-page="${p - 1}">‹ Newer</a>` : '<span></span>'}<span class="muted">Page ${p} of ${pages} · ${newestFirst.length} messages</span>${p < pages ? `<a href="${esc(pageHref(p + 1))}" data-page="${p + 1}">Older ›</a>` : '<span></span>'}</nav>`
      : '';
  return `<ul class="chat" data-page="${p}">${shown.map((m) => renderChatCard(m, open)).join('')}</ul>${nav}`;
}
