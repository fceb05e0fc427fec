import { createHmac, timingSafeEqual } from 'node:crypto';
import { publicUrl } from '../../shared/links';
import type { LinkProblem } from '../approvals/links';

/**
 * Personal, signed, expiring pause links: `/pauses/<id>/<approver>?exp=<unix>&sig=<hmac>`. Same scheme and key
 * as approval links (HMAC-SHA256 with the link-signing key, base64url) under its own context string, so an
 * approval link's signature never works on a pause and the reverse.
 */

const CONTEXT = 'shipgate-pause-link:v1';

/** What a pause link grants. */
export interface PauseLinkClaims {
  pauseId: string;
  approver: string;
  /** Epoch seconds: the hook's expiry. */
  expiresAt: number;
}

function mac(key: string, c: PauseLinkClaims): Buffer {
  return createHmac('sha256', key).update(`${CONTEXT}\n${c.pauseId}\n${c.approver}\n${c.expiresAt}`).digest();
}

/** The full personal link to a pause's confirm page. */
export function pauseLink(
  key: string,
  claims: PauseLinkClaims,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const path = `/pauses/${encodeURIComponent(claims.pauseId)}/${encodeURIComponent(claims.approver)}`;
  return `${publicUrl(env)}${path}?exp=${claims.expiresAt}&sig=${mac(key, claims).toString('base64url')}`;
}

/** Checks a pause link (signature first, constant time, then expiry); `undefined` when good. */
export function checkPauseLink(
  key: string,
  input: { pauseId: string; approver: string; exp: string | undefined; sig: string | undefined },
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
  const claims = { pauseId: input.pauseId, approver: input.approver, expiresAt: Number(input.exp) };
  const expected = mac(key, claims);
  const given = Buffer.from(input.sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad-signature';
  if (nowSeconds > claims.expiresAt) return 'expired';
  return undefined;
}
