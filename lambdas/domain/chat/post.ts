import type { ShipgateConfig } from '../../shared/config';
import { logger } from '../../shared/logger';
import { getSecret as defaultGetSecret, type SecretName } from '../../shared/secrets';
import type { ChatMessage } from './messages';

/** What `postChatMessage` needs; all injectable. */
export interface PostChatDeps {
  config: Pick<ShipgateConfig, 'notifications'>;
  getSecret?: (name: SecretName) => Promise<string | undefined>;
  fetch?: typeof fetch;
  /** Give up after this long (default 5 s): a slow chat server must not hold up approvals. */
  timeoutMs?: number;
}

/** Why a message was or was not delivered. */
export type PostChatResult = 'sent' | 'disabled' | 'not-configured' | 'failed';

/**
 * POSTs a message to the chat incoming webhook (`chatWebhookUrl` secret) when `notifications.chat` is on.
 * Never throws and never logs the URL (it is a credential): a failure is logged with its HTTP status or
 * error code, and approvals keep working from the confirm page.
 * @example await postChatMessage(approvalOutcomeMessage(view), { config })
 */
export async function postChatMessage(message: ChatMessage, deps: PostChatDeps): Promise<PostChatResult> {
  if (!deps.config.notifications.chat) return 'disabled';
  const getSecret = deps.getSecret ?? ((name: SecretName) => defaultGetSecret(name));
  let url: string | undefined;
  try {
    url = await getSecret('chatWebhookUrl');
  } catch (err) {
    logger.warn('Could not read the chat webhook URL secret; message not sent', { error: errorCode(err) });
    return 'failed';
  }
  if (!url) return 'not-configured';
  return sendJson(url, message, deps.fetch ?? fetch, deps.timeoutMs ?? 5000, 'chat webhook');
}

/**
 * POSTs JSON to a URL that must not be logged (chat webhook, Slack `response_url`). Returns 'sent' or
 * 'failed'; failures are logged by `what` with the status or error code only.
 */
export async function sendJson(
  url: string,
  body: unknown,
  fetchImpl: typeof fetch,
  timeoutMs: number,
  what: string,
): Promise<'sent' | 'failed'> {
  try {
    const res = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    // Drain the body so the connection can be reused; its content is not needed.
    await res.text().catch(() => undefined);
    if (!res.ok) {
      logger.warn(`The ${what} answered HTTP ${res.status}; message not delivered`, { status: res.status });
      return 'failed';
    }
    return 'sent';
  } catch (err) {
    logger.warn(`Could not reach the ${what}; message not delivered`, { error: errorCode(err) });
    return 'failed';
  }
}

/** A loggable description of a network error without URLs (error name and code only). */
function errorCode(err: unknown): string {
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  return [e?.name, e?.code ?? e?.cause?.code ?? e?.cause?.name].filter(Boolean).join(' ') || 'unknown error';
}
