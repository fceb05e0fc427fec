import { logger } from '../../shared/logger';
import type { ChatMessage } from './messages';

/**
 * The two Slack Web API methods Shipgate's bot uses: `chat.postMessage` (optionally in a thread,
 * `thread_ts`) and `chat.update` (replace a message the bot posted). Both take a bot token
 * (`Authorization: Bearer xoxb-…`) and JSON, and answer HTTP 200 with `{ ok, channel, ts }` or
 * `{ ok: false, error }` (https://api.slack.com/methods/chat.postMessage, https://api.slack.com/methods/chat.update).
 * The token is never logged.
 */

/** Where a posted message lives (what `chat.update` and `thread_ts` need). */
export interface SlackMessageRef {
  channel: string;
  ts: string;
}

/** What the Web API calls need. */
export interface SlackApiDeps {
  token: string;
  fetch: typeof fetch;
  /** Base URL of the Web API (`SHIPGATE_SLACK_API_URL`, for tests and the sandbox). @default https://slack.com/api */
  baseUrl?: string;
  timeoutMs?: number;
}

/** Base URL of the Slack Web API, overridable for tests and the sandbox. */
export function slackApiUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.SHIPGATE_SLACK_API_URL || 'https://slack.com/api').replace(/\/$/, '');
}

async function call(
  method: 'chat.postMessage' | 'chat.update',
  body: Record<string, unknown>,
  deps: SlackApiDeps,
): Promise<SlackMessageRef | undefined> {
  try {
    const res = await deps.fetch(`${deps.baseUrl ?? slackApiUrl()}/${method}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        authorization: `Bearer ${deps.token}`,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(deps.timeoutMs ?? 5000),
      redirect: 'error',
    });
    const answer = (await res.json().catch(() => ({}))) as {
      ok?: boolean;
      error?: string;
      channel?: string;
      ts?: string;
    };
    if (!res.ok || !answer.ok || !answer.channel || !answer.ts) {
      logger.warn(`Slack ${method} did not take the message`, {
        status: res.status,
        error: answer.error ?? 'no ok/channel/ts in the answer',
      });
      return undefined;
    }
    return { channel: answer.channel, ts: answer.ts };
  } catch (err) {
    logger.warn(`Could not reach Slack for ${method}`, { error: (err as Error)?.name ?? 'unknown error' });
    return undefined;
  }
}

/**
 * Posts `message` to `channel`, in the thread of `threadTs` when given. Returns where it landed, or
 * `undefined` (logged) when Slack refused it or could not be reached.
 */
export function postSlackMessage(
  channel: string,
  message: ChatMessage,
  deps: SlackApiDeps,
  threadTs?: string,
): Promise<SlackMessageRef | undefined> {
  return call(
    'chat.postMessage',
    {
      channel,
      text: message.text,
      blocks: message.blocks,
      unfurl_links: false,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
    deps,
  );
}

/** Replaces the text and blocks of a message the bot posted. */
export async function updateSlackMessage(
  ref: SlackMessageRef,
  message: ChatMessage,
  deps: SlackApiDeps,
): Promise<boolean> {
  const out = await call(
    'chat.update',
    { channel: ref.channel, ts: ref.ts, text: message.text, blocks: message.blocks },
    deps,
  );
  return out !== undefined;
}
