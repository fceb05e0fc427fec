import type { ShipgateConfig } from '../../shared/config';
import { getSecret as defaultGetSecret, type SecretName } from '../../shared/secrets';
import type { ChatMessage } from './messages';
import { postChatMessage, type PostChatResult } from './post';
import { postSlackMessage, slackApiUrl } from './slack-api';

/** What {@link postShipgateMessage} needs; all but the config injectable. */
export interface ShipgateMessageDeps {
  config: Pick<ShipgateConfig, 'notifications'>;
  getSecret?: (name: SecretName) => Promise<string | undefined>;
  fetch?: typeof fetch;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * Posts a message about Shipgate itself: with the Slack app (bot token and `notifications.slackChannel`) as
 * a message of its own in the channel, never in a release's thread; else to the incoming webhook. Never
 * throws (a failure is logged by the senders without the URL or token).
 */
export async function postShipgateMessage(
  message: ChatMessage,
  deps: ShipgateMessageDeps,
): Promise<PostChatResult> {
  if (!deps.config.notifications.chat) return 'disabled';
  const getSecret = deps.getSecret ?? ((name: SecretName) => defaultGetSecret(name));
  const fetchImpl = deps.fetch ?? fetch;
  // The Slack app mode, as deliver.ts's slackBot (not imported: it would bring the DynamoDB client along).
  const channel = deps.config.notifications.slackChannel;
  const token = channel ? await getSecret('slackBotToken').catch(() => undefined) : undefined;
  const bot = channel && token ? { channel, token } : undefined;
  if (bot) {
    const posted = await postSlackMessage(bot.channel, message, {
      token: bot.token,
      fetch: fetchImpl,
      baseUrl: slackApiUrl(deps.env),
      timeoutMs: deps.timeoutMs,
    });
    return posted ? 'sent' : 'failed';
  }
  return postChatMessage(message, {
    config: deps.config,
    getSecret,
    fetch: fetchImpl,
    timeoutMs: deps.timeoutMs,
  });
}
