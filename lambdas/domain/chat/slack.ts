import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from '../../shared/zod';
import { BadRequestError, UnauthorizedError } from '../../shared/errors';

/**
 * Slack app mode: request signing (v0) and the interaction payloads Shipgate understands.
 * https://api.slack.com/authentication/verifying-requests-from-slack
 */

/** Requests older or newer than this (seconds) are refused, as Slack recommends. */
export const SLACK_MAX_SKEW_SECONDS = 300;

/** A Slack request whose signature is missing, wrong or outside the 5-minute window. */
export class SlackSignatureError extends UnauthorizedError {
  static override readonly errorName: string = 'SlackSignatureError';
}

/**
 * Verifies `X-Slack-Signature` (`v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing
 * secret), in constant time, and that `X-Slack-Request-Timestamp` is within 5 minutes of `nowSeconds`.
 * @throws SlackSignatureError saying which check failed (never echoing the expected signature).
 */
export function verifySlackSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  nowSeconds: number,
): void {
  const { timestamp, signature } = headers;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) {
    throw new SlackSignatureError(
      `X-Slack-Request-Timestamp must be Unix seconds; received ${timestamp === undefined ? 'nothing' : JSON.stringify(timestamp.slice(0, 20))}`,
    );
  }
  const skew = Math.abs(nowSeconds - Number(timestamp));
  if (skew > SLACK_MAX_SKEW_SECONDS) {
    throw new SlackSignatureError(
      `X-Slack-Request-Timestamp ${timestamp} is ${skew} s away from now (limit ${SLACK_MAX_SKEW_SECONDS} s); replayed request or wrong clock`,
    );
  }
  if (!signature || !/^v0=[0-9a-f]{64}$/.test(signature)) {
    throw new SlackSignatureError('X-Slack-Signature must look like "v0=<64 hex digits>"');
  }
  const expected = createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest();
  const given = Buffer.from(signature.slice(3), 'hex');
  if (!timingSafeEqual(given, expected)) {
    throw new SlackSignatureError(
      'X-Slack-Signature does not match the body; check that the Slack signing secret matches the app',
    );
  }
}

/**
 * Signs a Slack request body the way Slack does (used by tests and the sandbox to simulate clicks).
 * @example slackSignature('secret', 1700000000, 'payload=...') // 'v0=5f…'
 */
export function slackSignature(secret: string, timestamp: number, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

const actionSchema = z.object({
  action_id: z.string(),
  value: z.optional(z.string()),
  block_id: z.optional(z.string()),
});

const interactionSchema = z.object({
  type: z.string(),
  user: z.object({ id: z.string(), username: z.optional(z.string()), name: z.optional(z.string()) }),
  actions: z._default(z.array(actionSchema), []),
  response_url: z.optional(z.url()),
});

/** The parts of a Slack `block_actions` payload Shipgate acts on. */
export type SlackInteraction = z.infer<typeof interactionSchema>;

/**
 * Parses the `payload` form field of an interaction request.
 * @throws BadRequestError when it is missing or not a Slack interaction.
 */
export function parseSlackInteraction(payload: unknown): SlackInteraction {
  if (typeof payload !== 'string' || payload === '') {
    throw new BadRequestError('Expected a form field "payload" holding the Slack interaction JSON');
  }
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    throw new BadRequestError('The "payload" form field is not valid JSON');
  }
  const parsed = interactionSchema.safeParse(json);
  if (!parsed.success) {
    throw new BadRequestError(
      `The Slack payload lacks ${parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`,
    );
  }
  return parsed.data;
}
