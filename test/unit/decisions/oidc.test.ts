import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import {
  beginSignIn,
  finishSignIn,
  forgetDiscovery,
  type OidcSettings,
  type SignInTransaction,
} from '../../../lambdas/domain/decisions/oidc';
import { BrowserSession, startTestOidc, type TestOidc } from '../../helpers/sign-in';

/**
 * The token exchange against the real provider (the sandbox's GitLab: oidc-provider in a child process):
 * a genuine sign-in works, and each thing a relying party must check is checked — PKCE, nonce, state,
 * expiry, audience, issuer and the signature. Where the provider would never misbehave on its own, the test
 * tampers with its token response on the way (the library's `fetch`), re-signing with the provider's real key
 * so only the one claim is wrong.
 */

const REDIRECT = 'http://127.0.0.1:9/auth/callback'; // never contacted: the test stops at the redirect
const PROVIDER_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const OTHER_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const OTHER_APP = { clientId: 'other-app', clientSecret: randomBytes(16).toString('hex') };

let oidc: TestOidc;
let settings: OidcSettings;

beforeAll(async () => {
  oidc = await startTestOidc({
    users: [
      { username: 'alice', name: 'Alice' },
      { username: 'bob', name: 'Bob' },
    ],
    redirectUris: [REDIRECT],
    signingKey: PROVIDER_KEY as Record<string, unknown>,
    extraClients: [OTHER_APP],
  });
  settings = {
    issuer: oidc.issuer,
    clientId: oidc.clientId,
    clientSecret: oidc.clientSecret,
    redirectUri: REDIRECT,
  };
  forgetDiscovery();
});
afterAll(async () => oidc?.close());

/** A person signs in at the provider as `username`; resolves with the callback URL (code, state). */
async function authorize(
  s: OidcSettings,
  username: string,
): Promise<{ callback: URL; transaction: SignInTransaction }> {
  const { url, transaction } = await beginSignIn(s);
  const browser = new BrowserSession();
  const chooser = await browser.request(url);
  const action = new RegExp(
    `action="([^"]*)"[^>]*>\\s*<input type="hidden" name="username" value="${username}"`,
  ).exec(chooser.html)?.[1];
  if (!action) throw new Error(`no sign-in button for ${username}: ${chooser.html.slice(0, 300)}`);
  const back = await browser.request(new URL(action, chooser.url).toString(), {
    method: 'POST',
    form: { username },
    stopAt: (next) => next.startsWith(REDIRECT),
  });
  return { callback: new URL(back.url), transaction };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const parts = (jwt: string) => {
  const [h, p] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>,
  };
};
function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, jwk: object): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const key = createPrivateKey({ key: jwk as never, format: 'jwk' });
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
}

/** A `fetch` that passes the provider's token response through `mutate(id_token)`. */
function tamperingFetch(mutate: (idToken: string) => string | Promise<string>): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (!String(input).endsWith('/token')) return res;
    const body = (await res.json()) as { id_token: string };
    body.id_token = await mutate(body.id_token);
    return new Response(JSON.stringify(body), {
      status: res.status,
      headers: { 'content-type': 'application/json' },
    });
  };
}

describe('signing in with GitLab: the token exchange against the real provider', () => {
  it('a genuine sign-in yields the GitLab username (preferred_username), the name and the numeric user id', async () => {
    const { callback, transaction } = await authorize(settings, 'alice');
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(await finishSignIn(settings, callback, transaction)).toEqual({
      username: 'alice',
      name: 'Alice',
      sub: '1001',
    });
  });

  it('PKCE: a code redeemed with another verifier is refused by the provider', async () => {
    const { callback, transaction } = await authorize(settings, 'alice');
    const other = { ...transaction, codeVerifier: randomBytes(32).toString('base64url') };
    await expect(finishSignIn(settings, callback, other)).rejects.toMatchObject({
      name: 'SignInError',
      status: 401,
      message: expect.stringMatching(/invalid_grant.*Nothing was recorded/),
    });
  });

  it('nonce: an ID token for another sign-in (nonce mismatch) is refused', async () => {
    const { callback, transaction } = await authorize(settings, 'alice');
    await expect(
      finishSignIn(settings, callback, { ...transaction, nonce: 'another-sign-in' }),
    ).rejects.toMatchObject({
      name: 'SignInError',
      message: expect.stringMatching(/"nonce"/),
    });
  });

  it('state: a callback whose state is not this browser’s sign-in is refused before the code is used', async () => {
    const { callback, transaction } = await authorize(settings, 'alice');
    await expect(finishSignIn(settings, callback, { ...transaction, state: 'forged' })).rejects.toMatchObject(
      {
        name: 'SignInError',
        message: expect.stringMatching(/"state"/),
      },
    );
  });

  it('expiry: an ID token already expired by this clock is refused', async () => {
    const { callback, transaction } = await authorize(settings, 'alice');
    await expect(
      finishSignIn(settings, callback, transaction, { clockSkewSeconds: 7200 }),
    ).rejects.toMatchObject({
      name: 'SignInError',
      message: expect.stringMatching(/"exp"/),
    });
  });

  it('audience: a genuine ID token the provider issued to another application is refused', async () => {
    // Bob signs in to another application registered at the same GitLab; its ID token is genuine.
    const otherApp: OidcSettings = {
      ...settings,
      clientId: OTHER_APP.clientId,
      clientSecret: OTHER_APP.clientSecret,
    };
    const theirs = await authorize(otherApp, 'bob');
    let otherToken = '';
    await finishSignIn(otherApp, theirs.callback, theirs.transaction, {
      fetch: tamperingFetch((t) => (otherToken = t)),
    });
    expect(parts(otherToken).payload.aud).toBe('other-app');
    // Shipgate's own sign-in as alice, with bob's token for the other app swapped in.
    const { callback, transaction } = await authorize(settings, 'alice');
    await expect(
      finishSignIn(settings, callback, transaction, { fetch: tamperingFetch(() => otherToken) }),
    ).rejects.toMatchObject({ name: 'SignInError', message: expect.stringMatching(/"aud"/) });
  });

  it('issuer: an ID token naming another issuer (signed with the provider’s own key) is refused', async () => {
    const { callback, transaction } = await authorize(settings, 'alice');
    const fetchHook = tamperingFetch((t) => {
      const { header, payload } = parts(t);
      return signJwt(header, { ...payload, iss: 'https://gitlab.evil.example' }, PROVIDER_KEY);
    });
    await expect(finishSignIn(settings, callback, transaction, { fetch: fetchHook })).rejects.toMatchObject({
      name: 'SignInError',
      message: expect.stringMatching(/"iss"/),
    });
  });

  it('signature: an ID token signed with another key (same key id, claims unchanged but the user) is refused', async () => {
    const { callback, transaction } = await authorize(settings, 'alice');
    const fetchHook = tamperingFetch((t) => {
      const { header, payload } = parts(t);
      return signJwt(header, { ...payload, preferred_username: 'bob', nickname: 'bob' }, OTHER_KEY);
    });
    await expect(finishSignIn(settings, callback, transaction, { fetch: fetchHook })).rejects.toMatchObject({
      name: 'SignInError',
      message: expect.stringMatching(/signature verification failed/i),
    });
  });

  it('the issuer’s metadata must name the issuer configured (a provider answering for another is refused)', async () => {
    forgetDiscovery();
    const elsewhere = { ...settings, issuer: settings.issuer.replace('127.0.0.1', 'localhost') };
    await expect(beginSignIn(elsewhere)).rejects.toThrow(/issuer/);
    forgetDiscovery();
  });
});
