import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ShipgateConfig } from '../../shared/config';
import { logger } from '../../shared/logger';
import type { SecretName } from '../../shared/secrets';
import { isConditionFailure, readConsistent } from '../../shared/table';
import type { ChatMessage } from './messages';
import { postChatMessage, type PostChatResult } from './post';
import { postSlackMessage, slackApiUrl, updateSlackMessage, type SlackMessageRef } from './slack-api';

/**
 * Delivering a release's messages. Two modes:
 * - **Slack app** (bot token secret and `notifications.slackChannel` set): the release's first message is the
 *   thread root; every later message goes in its thread, and the root is updated to show the final state.
 *   Where each message landed is kept in `CHAT#<releaseId>` / `THREAD`.
 * - **Incoming webhook** (otherwise): each message is posted on its own (outcome messages quote the release).
 *
 * A message with a `once` key is posted at most once per release (`NOTICE#<releaseId>` / `<key>`), so a
 * retried Lambda or a repeated freeze check does not post twice.
 */

/** What delivery needs; all injectable. */
export interface DeliverDeps {
  config: Pick<ShipgateConfig, 'notifications'>;
  getSecret: (name: SecretName) => Promise<string | undefined>;
  fetch: typeof fetch;
  ddb: Pick<DynamoDBDocumentClient, 'send'>;
  table: string;
  now: () => Date;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** How one message is delivered. */
export interface DeliverOptions {
  /** Post only once per release under this key (e.g. `deployed#staging`). */
  once?: string;
  /** Slack app: also keep where this message landed under this name (to update it later). */
  remember?: string;
  /** Slack app: instead of posting, update the message remembered under this name (falls back to posting). */
  replace?: string;
  /** Slack app: after posting, update the thread root to this message (the release's final state). */
  rootUpdate?: ChatMessage;
}

/** `duplicate`: already posted under its `once` key. */
export type DeliverResult = PostChatResult | 'duplicate';

/** Days a `NOTICE#` / `CHAT#` item lives. */
const KEEP_DAYS = 90;

interface ThreadItem {
  root?: SlackMessageRef;
  messages?: Record<string, SlackMessageRef>;
}

const threadKey = (releaseId: string) => ({ pk: `CHAT#${releaseId}`, sk: 'THREAD' });

function ttl(deps: Pick<DeliverDeps, 'now'>): number {
  return Math.floor(deps.now().getTime() / 1000) + KEEP_DAYS * 86400;
}

/** Claims `NOTICE#<releaseId>` / `<key>`; false when someone already did. */
async function claimOnce(releaseId: string, key: string, deps: DeliverDeps): Promise<boolean> {
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.table,
        Item: { pk: `NOTICE#${releaseId}`, sk: key, at: deps.now().toISOString(), ttl: ttl(deps) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw err;
  }
}

/** The Slack app settings when the bot mode is on, else `undefined`. */
export async function slackBot(
  deps: Pick<DeliverDeps, 'config' | 'getSecret'>,
): Promise<{ channel: string; token: string } | undefined> {
  const channel = deps.config.notifications.slackChannel;
  if (!channel || !deps.config.notifications.chat) return undefined;
  const token = await deps.getSecret('slackBotToken');
  return token ? { channel, token } : undefined;
}

async function readThread(releaseId: string, deps: DeliverDeps): Promise<ThreadItem> {
  return (await readConsistent<ThreadItem>(deps, threadKey(releaseId))) ?? {};
}

/**
 * Keeps where a message landed: the first one becomes the thread root. Messages of one release are posted
 * one step at a time, so a read-modify-write of the one item is enough.
 */
async function saveRef(
  releaseId: string,
  thread: ThreadItem,
  ref: SlackMessageRef,
  name: string | undefined,
  deps: DeliverDeps,
): Promise<void> {
  await deps.ddb.send(
    new PutCommand({
      TableName: deps.table,
      Item: {
        ...threadKey(releaseId),
        root: thread.root ?? ref,
        messages: { ...(thread.messages ?? {}), ...(name ? { [name]: ref } : {}) },
        ttl: ttl(deps),
      },
    }),
  );
}

/**
 * Delivers one message of release `releaseId` (see the module comment for the two modes). Never throws:
 * chat being down must not fail a release step; problems are logged and the result says what happened.
 * @example await deliverReleaseMessage(release.id, message, { once: 'deployed#staging' }, deps)
 */
export async function deliverReleaseMessage(
  releaseId: string,
  message: ChatMessage,
  options: DeliverOptions,
  deps: DeliverDeps,
): Promise<DeliverResult> {
  try {
    if (!deps.config.notifications.chat) return 'disabled';
    if (options.once && !(await claimOnce(releaseId, options.once, deps))) return 'duplicate';
    const bot = await slackBot(deps);
    if (!bot) return await postChatMessage(message, { ...deps, timeoutMs: deps.timeoutMs });
    const api = {
      token: bot.token,
      fetch: deps.fetch,
      baseUrl: slackApiUrl(deps.env),
      timeoutMs: deps.timeoutMs,
    };
    const thread = await readThread(releaseId, deps);
    const existing = options.replace ? thread.messages?.[options.replace] : undefined;
    if (existing) {
      return (await updateSlackMessage(existing, message, api)) ? 'sent' : 'failed';
    }
    const posted = await postSlackMessage(bot.channel, message, api, thread.root?.ts);
    if (!posted) return 'failed';
    await saveRef(releaseId, thread, posted, options.remember, deps);
    if (options.rootUpdate && thread.root) await updateSlackMessage(thread.root, options.rootUpdate, api);
    return 'sent';
  } catch (err) {
    logger.warn('Chat message of a release not delivered', {
      releaseId,
      error: (err as Error)?.name ?? 'unknown error',
    });
    return 'failed';
  }
}
