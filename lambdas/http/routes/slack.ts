import { Hono } from 'hono';
import { approvalDeps, nowSeconds } from '../../domain/approvals/deps';
import { handleSlackInteraction } from '../../domain/approvals/slack-votes';
import { parseSlackInteraction, verifySlackSignature } from '../../domain/chat/slack';
import { NotFoundError, PayloadTooLargeError } from '../../shared/errors';

/**
 * Slack app mode. `POST /slack/interactions` takes clicks on approval messages: the Slack v0 signature is
 * checked first (401 when wrong or outside the 5-minute window), then the vote is applied and the message
 * updated through `response_url`, all within Slack's 3-second ack budget.
 */
export const slackRoutes = new Hono();

/** Slack interaction payloads are small; anything larger is not from Slack. */
const MAX_BODY_BYTES = 64 * 1024;
/** Answer Slack by then (ms after the request arrived); Slack gives up at 3000. */
const ACK_BUDGET_MS = 2500;
/** Longest wait for the chat webhook follow-up during a Slack interaction. */
const CHAT_BUDGET_MS = 800;

slackRoutes.post('/interactions', async (c) => {
  const started = Date.now();
  // The follow-up to the chat webhook must not eat Slack's 3-second budget; the message itself is updated
  // through response_url below.
  const deps = approvalDeps({ chatTimeoutMs: CHAT_BUDGET_MS });
  const secret = await deps.getSecret('slackSigningSecret');
  if (!secret) {
    throw new NotFoundError(
      'Slack app mode is off: set SHIPGATE_SLACK_SIGNING_SECRET (sandbox) or the slackSigningSecret secret (AWS) to the app’s signing secret.',
    );
  }
  const raw = await c.req.text();
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(
      `Slack interaction body of ${Buffer.byteLength(raw)} bytes exceeds ${MAX_BODY_BYTES}.`,
    );
  }
  verifySlackSignature(
    secret,
    { timestamp: c.req.header('x-slack-request-timestamp'), signature: c.req.header('x-slack-signature') },
    raw,
    nowSeconds(deps),
  );
  const interaction = parseSlackInteraction(new URLSearchParams(raw).get('payload'));
  await handleSlackInteraction(interaction, deps, started + ACK_BUDGET_MS);
  // An empty 200 is Slack's acknowledgement; the visible answer went through response_url.
  return c.body(null, 200);
});
