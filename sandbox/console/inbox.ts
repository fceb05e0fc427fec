import { join } from 'node:path';
import { logger } from '../../lambdas/shared/logger';
import { JsonStore } from '../store';

/** A chat message the sandbox received (Slack incoming-webhook format). */
export interface ChatMessage {
  at: number;
  text: string;
  body: unknown;
}

/** The chat inbox, persisted as `chat.json` in the state dir. */
export type ChatInbox = JsonStore<{ messages: ChatMessage[] }>;

/** Opens the chat inbox of a state dir. */
export function openChatInbox(stateDir: string): ChatInbox {
  return new JsonStore<{ messages: ChatMessage[] }>(join(stateDir, 'chat.json'), () => ({
    messages: [],
  }));
}

/**
 * Files a message at the top of the inbox (the newest 300 are kept) and forwards it to `forwardTo`
 * (`SHIPGATE_CHAT_WEBHOOK_URL`) when set; a failed forward is logged.
 */
export function receiveChatMessage(chat: ChatInbox, body: unknown, forwardTo: string | undefined): void {
  chat.data.messages.unshift({ at: Date.now() / 1000, text: messageText(body), body });
  chat.data.messages.length = Math.min(chat.data.messages.length, 300);
  chat.changed();
  if (forwardTo) {
    void fetch(forwardTo, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).catch((err: unknown) =>
      logger.warn('Forwarding a chat message to SHIPGATE_CHAT_WEBHOOK_URL failed', {
        error: (err as Error).message,
      }),
    );
  }
}

/** Text of a Slack-compatible message (its `text` fallback, else the text of its blocks). */
export function messageText(body: unknown): string {
  const b = body as { text?: unknown; blocks?: { text?: { text?: string } }[] };
  if (typeof b?.text === 'string' && b.text) return b.text;
  return (b?.blocks ?? [])
    .map((x) => x.text?.text ?? '')
    .filter(Boolean)
    .join(' ');
}

/** Approver links (`…/approvals/…`) of a message's buttons, with the button labels. */
export function approvalLinks(body: unknown): { label: string; url: string }[] {
  const out: { label: string; url: string }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as { url?: unknown; text?: { text?: unknown } | string };
      if (typeof o.url === 'string' && /\/approvals\//.test(o.url)) {
        const label =
          typeof o.text === 'string' ? o.text : typeof o.text?.text === 'string' ? o.text.text : o.url;
        if (!out.some((l) => l.url === o.url)) out.push({ label, url: o.url });
      }
      Object.values(o).forEach(walk);
    }
  };
  walk(body);
  return out;
}

/** Execution ARNs a message links to (`…#/executions/<encoded ARN>`). */
export function linkedExecutions(body: unknown): string[] {
  const text = JSON.stringify(body);
  const out = new Set<string>();
  for (const m of text.matchAll(/#\/executions\/([A-Za-z0-9%._~-]+)/g)) {
    try {
      out.add(decodeURIComponent(m[1]));
    } catch {
      // not a valid encoding: not one of ours
    }
  }
  return [...out];
}
