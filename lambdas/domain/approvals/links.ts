import { createHmac, timingSafeEqual } from 'node:crypto';
import { publicUrl } from '../../shared/links';

/**
 * Personal, signed, expiring approval links. A link is a capability: whoever holds it can vote as that
 * approver on that approval until it expires, so it is only ever put in the chat message for its approver
 * and never logged. The signature is HMAC-SHA256 (link-signing key) over a versioned string naming the
 * approval, the approver and the expiry, encoded base64url.
 */

const CONTEXT = 'shipgate-approval-link:v1';

/** What a link grants. */
export interface LinkClaims {
  approvalId: string;
  approver: string;
  /** Epoch seconds after which the link no longer works (the approval deadline). */
  expiresAt: number;
}

/** Why a link was refused. */
export type LinkProblem = 'malformed' | 'bad-signature' | 'expired';

function mac(key: string, claims: LinkClaims): Buffer {
  return createHmac('sha256', key)
    .update(`${CONTEXT}\n${claims.approvalId}\n${claims.approver}\n${claims.expiresAt}`)
    .digest();
}

/**
 * Signature of a link (base64url HMAC-SHA256).
 * @example signLink('k3y', { approvalId: 'ap_1', approver: 'alice', expiresAt: 1767225600 })
 */
export function signLink(key: string, claims: LinkClaims): string {
  return mac(key, claims).toString('base64url');
}

/**
 * The full personal link to the confirm page: `<publicUrl>/approvals/<id>/<approver>?exp=<unix>&sig=<hmac>`.
 * @example approvalLink('k3y', { approvalId: 'ap_1', approver: 'alice', expiresAt: 1767225600 })
 */
export function approvalLink(key: string, claims: LinkClaims, env: NodeJS.ProcessEnv = process.env): string {
  const path = `/approvals/${encodeURIComponent(claims.approvalId)}/${encodeURIComponent(claims.approver)}`;
  return `${publicUrl(env)}${path}?exp=${claims.expiresAt}&sig=${signLink(key, claims)}`;
}

/**
 * Checks a link's signature (constant time) and expiry. Returns `undefined` when the link is good, or what
 * is wrong with it. The signature is checked before the expiry so an attacker learns nothing from tampered
 * expiries.
 */
export function checkLink(
  key: string,
  input: { approvalId: string; approver: string; exp: string | undefined; sig: string | undefined },
  nowSeconds: number,
): LinkProblem | undefined {
  if (
    !input.exp ||
    !/^\d{1,12}$/.test(input.exp) ||
    !input.sig ||
    !/^[A-Za-z0-9_-]{1,128}$/.test(input.sig)
  ) {
    return 'malformed';
  }
  const claims: LinkClaims = {
    approvalId: input.approvalId,
    approver: input.approver,
    expiresAt: Number(input.exp),
  };
  const expected = mac(key, claims);
  const given = Buffer.from(input.sig, 'base64url');
  // Lengths are public (a SHA-256 MAC is always 32 bytes); only equal-length buffers go to timingSafeEqual.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return 'bad-signature';
  }
  if (nowSeconds > claims.expiresAt) {
    return 'expired';
  }
  return undefined;
}
