import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { approvalDeps, nowSeconds } from '../../domain/approvals/deps';
import { linkSigningKey } from '../../domain/approvals/notify';
import { PAGE_HEADERS, renderErrorPage } from '../../domain/approvals/page';
import { beginSignIn, finishSignIn, oidcSettings } from '../../domain/decisions/oidc';
import {
  endSession,
  gatePath,
  saveTransaction,
  startSession,
  takeTransaction,
  type GateRef,
} from '../../domain/decisions/session';
import { BadRequestError, ShipgateError } from '../../shared/errors';
import { publicUrl } from '../../shared/links';
import { logger } from '../../shared/logger';
import { assertSameSiteFormPost } from './decisions';

/**
 * Signing in with GitLab to decide a gate:
 * - `GET /auth/signin?gate=approval:<id>` starts the authorization-code flow with PKCE (state, nonce and
 *   verifier in a signed, HttpOnly cookie scoped to the callback) and redirects to GitLab;
 * - `GET /auth/callback` finishes it and starts a session for that gate, then returns to its review page;
 * - `POST /auth/signout?gate=…` ends the gate's session (to sign in as somebody else).
 */
export const authRoutes = new Hono();

authRoutes.onError((err, c) => {
  if (err instanceof HTTPException) return err.getResponse();
  if (err instanceof ShipgateError && err.status < 500) {
    return c.html(renderErrorPage(err.status, err.message), err.status as 401, PAGE_HEADERS);
  }
  logger.error('Sign-in failed', { error: (err as Error)?.name, message: (err as Error)?.message });
  return c.html(
    renderErrorPage(500, 'Shipgate could not sign you in right now. Try again in a minute.'),
    500,
    PAGE_HEADERS,
  );
});

const GATE_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** Parses `approval:<id>` / `pause:<id>`. @throws BadRequestError */
export function parseGate(value: string | undefined): GateRef {
  const [kind, id] = (value ?? '').split(':', 2);
  if ((kind !== 'approval' && kind !== 'pause') || !id || !GATE_ID.test(id)) {
    throw new BadRequestError(
      `The "gate" parameter must be "approval:<id>" or "pause:<id>"; received ${JSON.stringify((value ?? '').slice(0, 60))}. Use the "Sign in" button of a review page.`,
    );
  }
  return { kind, id };
}

async function settings() {
  const deps = approvalDeps();
  return {
    deps,
    key: await linkSigningKey(deps),
    oidc: oidcSettings(deps.config, await deps.getSecret('oidcClientSecret'), deps.env),
  };
}

authRoutes.get('/signin', async (c) => {
  const gate = parseGate(c.req.query('gate'));
  const { deps, key, oidc } = await settings();
  const { url, transaction } = await beginSignIn(oidc);
  await saveTransaction(c, key, gate, transaction, nowSeconds(deps));
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  return c.redirect(url, 302);
});

authRoutes.get('/callback', async (c) => {
  const { deps, key, oidc } = await settings();
  const tx = await takeTransaction(c, key, nowSeconds(deps));
  const user = await finishSignIn(oidc, new URL(c.req.url), tx);
  await startSession(c, key, tx.gate, user, nowSeconds(deps));
  logger.info('Signed in with GitLab', { username: user.username, gate: `${tx.gate.kind}:${tx.gate.id}` });
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  return c.redirect(`${publicUrl()}${gatePath(tx.gate)}`, 303);
});

authRoutes.post('/signout', async (c) => {
  assertSameSiteFormPost(c);
  const gate = parseGate(c.req.query('gate'));
  endSession(c, gate);
  return c.redirect(`${publicUrl()}${gatePath(gate)}`, 303);
});
