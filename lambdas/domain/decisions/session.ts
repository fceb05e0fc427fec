import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { SignInTransaction, SignedInUser } from './oidc';
import { SessionError, SessionMismatchError, SignInError } from './errors';

/**
 * Sign-in sessions for deciding a gate (an approval or a pause). A session is one signed cookie, scoped to
 * the gate's path and bound to the gate in its content, valid for {@link SESSION_SECONDS}: `HttpOnly`,
 * `Secure`, `SameSite=Lax`. Cookies are signed (HMAC-SHA256) with hono's cookie helper under a key derived
 * from the link-signing key. A POST must also carry a CSRF token, an HMAC of the session id and the gate, that
 * only the gate's own page shows.
 */

/** How long a sign-in lets its person decide (short: it only needs to last from the page to the click). */
export const SESSION_SECONDS = 15 * 60;
/** How long a sign-in may take at the provider. */
export const TRANSACTION_SECONDS = 10 * 60;

/** Cookie holding the session of one gate (path-scoped to that gate). */
export const SESSION_COOKIE = 'sg_session';
/** Cookie holding the sign-in transaction (path-scoped to the callback). */
export const TRANSACTION_COOKIE = 'sg_signin';

/** A gate: what a session lets its person decide. */
export interface GateRef {
  kind: 'approval' | 'pause';
  id: string;
}

/** What the session cookie says. */
export interface Session {
  /** Random session id (binds the CSRF token). */
  sid: string;
  username: string;
  name?: string;
  /** GitLab user id. */
  sub: string;
  gate: GateRef;
  /** Epoch seconds. */
  exp: number;
}

/** The sign-in in progress. */
interface Transaction extends SignInTransaction {
  gate: GateRef;
  exp: number;
}

const PURPOSE = {
  session: 'shipgate-session:v1',
  transaction: 'shipgate-signin:v1',
  csrf: 'shipgate-csrf:v1',
};

function derive(key: string, purpose: string): string {
  return createHmac('sha256', key).update(purpose).digest('base64url');
}

/** The path of a gate's review page (`/approvals/<id>`, `/pauses/<id>`). */
export function gatePath(gate: GateRef): string {
  return `/${gate.kind === 'approval' ? 'approvals' : 'pauses'}/${encodeURIComponent(gate.id)}`;
}

/** `approval apr_…` / `pause pau_…`, for messages. */
export const gateWords = (gate: GateRef) => `${gate.kind} ${gate.id}`;

/** The secret session cookies are signed with (derived from the link-signing key; exported for tests). */
export const sessionSecret = (key: string) => derive(key, PURPOSE.session);

/** A session as its cookie carries it (before signing). */
export const encodeSession = (session: Session) => encode(session);

const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function decode<T>(v: string): T | undefined {
  try {
    return JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

const COOKIE_BASE = { httpOnly: true, secure: true, sameSite: 'Lax' as const };

/** Starts a session for `user` on `gate` (replacing any this browser had for the gate). */
export async function startSession(
  c: Context,
  key: string,
  gate: GateRef,
  user: SignedInUser,
  nowSeconds: number,
): Promise<Session> {
  const session: Session = {
    sid: randomBytes(16).toString('base64url'),
    username: user.username,
    sub: user.sub,
    ...(user.name ? { name: user.name } : {}),
    gate,
    exp: nowSeconds + SESSION_SECONDS,
  };
  await setSignedCookie(c, SESSION_COOKIE, encode(session), derive(key, PURPOSE.session), {
    ...COOKIE_BASE,
    path: gatePath(gate),
    maxAge: SESSION_SECONDS,
  });
  return session;
}

/** Ends the gate's session in this browser. */
export function endSession(c: Context, gate: GateRef): void {
  deleteCookie(c, SESSION_COOKIE, { ...COOKIE_BASE, path: gatePath(gate) });
}

/**
 * The session for `gate`, or why there is none usable: `undefined` when no cookie came (not signed in).
 * @throws SessionError (forged, unreadable or expired cookie), SessionMismatchError (another gate's).
 */
export async function readSession(
  c: Context,
  key: string,
  gate: GateRef,
  nowSeconds: number,
): Promise<Session | undefined> {
  const raw = await getSignedCookie(c, derive(key, PURPOSE.session), SESSION_COOKIE);
  if (raw === undefined) return undefined;
  if (raw === false) {
    throw new SessionError(
      'Your sign-in cookie is not valid (its signature does not match): nothing was recorded. Sign in with GitLab again.',
    );
  }
  const session = decode<Session>(raw);
  if (!session || typeof session.username !== 'string' || !session.gate || typeof session.exp !== 'number') {
    throw new SessionError(
      'Your sign-in cookie is unreadable: nothing was recorded. Sign in with GitLab again.',
    );
  }
  if (nowSeconds >= session.exp) {
    throw new SessionError(
      `Your sign-in expired at ${new Date(session.exp * 1000).toISOString()} (sign-ins last ${SESSION_SECONDS / 60} minutes): nothing was recorded. Sign in with GitLab again.`,
    );
  }
  if (session.gate.kind !== gate.kind || session.gate.id !== gate.id) {
    throw new SessionMismatchError(
      `Your sign-in is for ${gateWords(session.gate)}, not ${gateWords(gate)}: nothing was recorded. Open this ${gate.kind}'s link and sign in there.`,
    );
  }
  return session;
}

/** The CSRF token of a session on its gate (what the page's form carries). */
export function csrfToken(key: string, session: Session): string {
  return createHmac('sha256', derive(key, PURPOSE.csrf))
    .update(`${session.sid}\n${session.gate.kind}\n${session.gate.id}`)
    .digest('base64url');
}

/** @throws SessionMismatchError when the form's token is not this session's for this gate. */
export function assertCsrf(key: string, session: Session, given: unknown): void {
  const expected = Buffer.from(csrfToken(key, session));
  const got = Buffer.from(typeof given === 'string' ? given : '');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
    throw new SessionMismatchError(
      "The form's security token does not match your sign-in (the page is stale or the form came from elsewhere): nothing was recorded. Reload the page and decide again.",
    );
  }
}

/** Keeps the sign-in in progress (state, nonce, PKCE verifier, gate) for the callback. */
export async function saveTransaction(
  c: Context,
  key: string,
  gate: GateRef,
  tx: SignInTransaction,
  nowSeconds: number,
): Promise<void> {
  const value: Transaction = { ...tx, gate, exp: nowSeconds + TRANSACTION_SECONDS };
  await setSignedCookie(c, TRANSACTION_COOKIE, encode(value), derive(key, PURPOSE.transaction), {
    ...COOKIE_BASE,
    path: '/auth/callback',
    maxAge: TRANSACTION_SECONDS,
  });
}

/** Takes the sign-in in progress (and deletes its cookie). @throws SignInError when missing, forged or old. */
export async function takeTransaction(
  c: Context,
  key: string,
  nowSeconds: number,
): Promise<SignInTransaction & { gate: GateRef }> {
  const raw = await getSignedCookie(c, derive(key, PURPOSE.transaction), TRANSACTION_COOKIE);
  deleteCookie(c, TRANSACTION_COOKIE, { ...COOKIE_BASE, path: '/auth/callback' });
  const tx = typeof raw === 'string' ? decode<Transaction>(raw) : undefined;
  if (!tx || typeof tx.state !== 'string' || !tx.gate) {
    throw new SignInError(
      'This sign-in was not started here (no valid sign-in cookie; cookies blocked, or the link was opened in another browser). Open the review link again and sign in from its page.',
    );
  }
  if (nowSeconds >= tx.exp) {
    throw new SignInError(
      'This sign-in took longer than 10 minutes. Open the review link again and sign in.',
    );
  }
  return tx;
}
