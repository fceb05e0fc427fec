import { createHash, timingSafeEqual } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { UnauthorizedError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import { getSecret as defaultGetSecret, type SecretName } from '../../shared/secrets';

/** Largest accepted distance between `webhook-timestamp` and now, either way (Standard Webhooks: 5 minutes). */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

/** How a delivery proved it came from GitLab. */
export type AuthMethod = 'signature' | 'token';

/** Headers the authentication reads (lower-case names). */
export interface AuthHeaders {
  'x-gitlab-token'?: string | null;
  'webhook-id'?: string | null;
  'webhook-timestamp'?: string | null;
  'webhook-signature'?: string | null;
}

/** Dependencies of {@link authenticateDelivery}. */
export interface AuthDeps {
  getSecret?: (name: SecretName) => Promise<string | undefined>;
  /** Current time (checked against `webhook-timestamp`). */
  now?: () => Date;
}

/** Compares two secrets in constant time: both sides are hashed first so their lengths do not leak. */
export function secretsEqual(received: string, expected: string): boolean {
  const a = createHash('sha256').update(received, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * Authenticates a GitLab delivery.
 *
 * - When a signing key (`webhookSigningKey`, `whsec_…`) is configured, a valid Standard Webhooks signature
 *   over the raw body is required, with `webhook-timestamp` within 5 minutes of now: Shipgate never falls
 *   back to the token. When the delivery *also* carries `X-Gitlab-Token` (GitLab sends it beside the
 *   signature when the hook has a secret token), that token must be right too: a signed delivery with a
 *   wrong token is refused, so a misconfigured or leaked hook shows up instead of going unnoticed.
 * - Otherwise `X-Gitlab-Token` must equal `webhookToken` (constant-time). Signature headers are not
 *   checked then (Shipgate has no key to check them with).
 * - With neither configured every delivery is refused (a misconfiguration never opens the door).
 *
 * | signing key configured | X-Gitlab-Token sent | accepted when                                  |
 * |------------------------|---------------------|------------------------------------------------|
 * | yes                    | no                  | the signature is valid                         |
 * | yes                    | yes                 | the signature is valid **and** the token equals `webhookToken` |
 * | no                     | any                 | the token equals `webhookToken`                |
 *
 * @returns how the delivery authenticated.
 * @throws UnauthorizedError saying what was wrong (never the secret or what it should have been).
 * @example await authenticateDelivery(rawBody, { 'x-gitlab-token': c.req.header('x-gitlab-token') });
 */
export async function authenticateDelivery(
  rawBody: string,
  headers: AuthHeaders,
  { getSecret = defaultGetSecret, now = () => new Date() }: AuthDeps = {},
): Promise<AuthMethod> {
  const signingKey = await getSecret('webhookSigningKey');
  if (signingKey) {
    verifySignature(signingKey, rawBody, headers, now().getTime());
    const received = headers['x-gitlab-token'];
    if (received !== undefined && received !== null) {
      // Both present: both must be right.
      const token = await getSecret('webhookToken');
      if (!token) {
        throw new UnauthorizedError(
          'The delivery is signed and also carries X-Gitlab-Token, but Shipgate has no webhook token to check it against. Remove the secret token from the GitLab webhook, or set the Shipgate webhook token to it.',
        );
      }
      if (!secretsEqual(received, token)) {
        throw new UnauthorizedError(
          'The signature is valid but X-Gitlab-Token does not match the Shipgate webhook token; when both are sent both must be right. Update the secret token of the GitLab webhook (or the Shipgate secret) so they agree, or remove it from the hook.',
        );
      }
    }
    return 'signature';
  }
  const token = await getSecret('webhookToken');
  if (token) {
    const received = headers['x-gitlab-token'];
    if (received === undefined || received === null || received === '') {
      throw new UnauthorizedError(
        'Missing X-Gitlab-Token header. Set the secret token of the GitLab webhook to the Shipgate webhook token.',
      );
    }
    if (!secretsEqual(received, token)) {
      throw new UnauthorizedError(
        'X-Gitlab-Token does not match the Shipgate webhook token. Update the secret token of the GitLab webhook (or the Shipgate secret) so they agree.',
      );
    }
    return 'token';
  }
  logger.error(
    'No webhook secret is configured (SHIPGATE_WEBHOOK_TOKEN / SHIPGATE_WEBHOOK_SIGNING_KEY); refusing deliveries',
  );
  throw new UnauthorizedError(
    'No webhook secret is configured in Shipgate, so no delivery can be authenticated. Configure the webhook token (SHIPGATE_WEBHOOK_TOKEN or its Secrets Manager secret) or a whsec_ signing key (SHIPGATE_WEBHOOK_SIGNING_KEY).',
  );
}

function verifySignature(signingKey: string, rawBody: string, headers: AuthHeaders, nowMs: number): void {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signature = headers['webhook-signature'];
  const missing = [
    !id && 'webhook-id',
    !timestamp && 'webhook-timestamp',
    !signature && 'webhook-signature',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new UnauthorizedError(
      `A signed delivery is required (Shipgate has a webhook signing key) but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing. Set the same whsec_ signing token on the GitLab webhook; X-Gitlab-Token alone is not accepted.`,
    );
  }
  if (!/^\d{1,12}$/.test(timestamp!)) {
    throw new UnauthorizedError(
      `webhook-timestamp "${timestamp!.slice(0, 40)}" is not Unix seconds; a Standard Webhooks timestamp such as "1767225600" is expected.`,
    );
  }
  const skew = Math.floor(nowMs / 1000) - Number(timestamp);
  if (Math.abs(skew) > SIGNATURE_TOLERANCE_SECONDS) {
    throw new UnauthorizedError(
      `webhook-timestamp ${timestamp} is ${Math.abs(skew)} s in the ${skew > 0 ? 'past' : 'future'}; signed deliveries are accepted within ${SIGNATURE_TOLERANCE_SECONDS} s. Check the clocks of GitLab and Shipgate, or this is a replay.`,
    );
  }
  let webhook: Webhook;
  try {
    webhook = new Webhook(signingKey);
  } catch (err) {
    logger.error('The configured webhook signing key is unusable', { reason: (err as Error).message });
    throw new UnauthorizedError(
      'Shipgate cannot verify signatures: its webhook signing key is not a valid whsec_<base64> key. Fix the SHIPGATE_WEBHOOK_SIGNING_KEY secret.',
    );
  }
  try {
    webhook.verify(
      rawBody,
      { 'webhook-id': id!, 'webhook-timestamp': timestamp!, 'webhook-signature': signature! },
      { jsonParse: false },
    );
  } catch (err) {
    if (err instanceof WebhookVerificationError) {
      throw new UnauthorizedError(
        'webhook-signature does not match: no v1 signature in it was made with Shipgate’s signing key over this webhook-id, webhook-timestamp and body. Check that GitLab and Shipgate use the same whsec_ signing token.',
      );
    }
    throw err;
  }
}
