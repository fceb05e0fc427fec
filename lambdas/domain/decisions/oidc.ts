import * as oauth from 'oauth4webapi';
import { ConfigError } from '../../shared/errors';
import { publicUrl } from '../../shared/links';
import type { ShipgateConfig } from '../../shared/config';
import { SignInError } from './errors';

/**
 * Signing in with GitLab (OpenID Connect, authorization code with PKCE, scopes `openid profile`) through
 * `oauth4webapi`, a maintained, dependency-free, certified OpenID Connect relying-party library: discovery,
 * the authorization URL's parameters, the callback's `state`, the token request, and every ID token check
 * (issuer, audience, expiry, nonce, signature against the issuer's JWKS) are the library's, not ours.
 *
 * GitLab puts the username in the ID token's `preferred_username` and `nickname` claims (older GitLab
 * versions only in UserInfo, which is then asked with the access token). `sub` is GitLab's numeric user id,
 * kept for the record but never used as the username.
 */

/** Where and as whom Shipgate signs people in. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** `<public URL>/auth/callback`: must be registered as the application's redirect URI in GitLab. */
  redirectUri: string;
}

/** What the browser carries between "sign in" and the callback (in a signed, HttpOnly cookie). */
export interface SignInTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Who signed in. */
export interface SignedInUser {
  /** GitLab username (`preferred_username`, else `nickname`). */
  username: string;
  /** Display name (`name`), when GitLab shared it. */
  name?: string;
  /** GitLab user id (`sub`). */
  sub: string;
}

/**
 * Test hooks: a clock skew (seconds) applied to the ID token's time checks, and the `fetch` the library
 * uses towards the provider (tests tamper with the provider's answers through it).
 */
export interface FinishOptions {
  clockSkewSeconds?: number;
  fetch?: typeof fetch;
}

/** Scopes asked for: the ID token and the profile (username, name); nothing that reaches the API. */
export const OIDC_SCOPES = 'openid profile';

/** The redirect URI of this installation. */
export function redirectUri(env: NodeJS.ProcessEnv = process.env): string {
  return `${publicUrl(env)}/auth/callback`;
}

/**
 * The sign-in settings from config (`gitlab.oidc`) and the client secret. The sandbox overrides the issuer
 * and client id with `SHIPGATE_OIDC_ISSUER` / `SHIPGATE_OIDC_CLIENT_ID` (its provider listens on a port
 * chosen at start). @throws ConfigError naming what is missing.
 */
export function oidcSettings(
  config: Pick<ShipgateConfig, 'gitlab'>,
  clientSecret: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): OidcSettings {
  const issuer = env.SHIPGATE_OIDC_ISSUER ?? config.gitlab.oidc?.issuer ?? config.gitlab.url;
  const clientId = env.SHIPGATE_OIDC_CLIENT_ID ?? config.gitlab.oidc?.clientId;
  if (!issuer || !clientId) {
    throw new ConfigError(
      'Signing in with GitLab is not configured: set gitlab.oidc.clientId (the Application ID of the OAuth application registered in GitLab) and gitlab.url or gitlab.oidc.issuer in shipgate.config.yaml (docs/gitlab-sign-in.md).',
    );
  }
  if (!clientSecret) {
    throw new ConfigError(
      'The GitLab OAuth application secret is not configured: set SHIPGATE_OIDC_CLIENT_SECRET (sandbox) or SHIPGATE_OIDC_CLIENT_SECRET_SECRET_ARN (AWS).',
    );
  }
  return { issuer: issuer.replace(/\/$/, ''), clientId, clientSecret, redirectUri: redirectUri(env) };
}

/** Plain http only to a provider on this machine (the sandbox's); anything else must be https. */
function requestOptions(issuer: URL): { [oauth.allowInsecureRequests]?: boolean } {
  const local = issuer.hostname === '127.0.0.1' || issuer.hostname === 'localhost';
  return issuer.protocol === 'http:' && local ? { [oauth.allowInsecureRequests]: true } : {};
}

const discovered = new Map<string, Promise<oauth.AuthorizationServer>>();

/** The provider's metadata (`/.well-known/openid-configuration`), fetched once per issuer and process. */
async function authorizationServer(issuer: string): Promise<oauth.AuthorizationServer> {
  let found = discovered.get(issuer);
  if (!found) {
    const url = new URL(issuer);
    found = oauth
      .discoveryRequest(url, { algorithm: 'oidc', ...requestOptions(url) })
      .then((res) => oauth.processDiscoveryResponse(url, res));
    discovered.set(issuer, found);
    found.catch(() => discovered.delete(issuer));
  }
  return found;
}

/** Forgets discovered metadata (tests that restart a provider on the same issuer). */
export function forgetDiscovery(): void {
  discovered.clear();
}

/**
 * Starts a sign-in: the provider URL to send the browser to, and the transaction to keep in a cookie.
 * @example const { url, transaction } = await beginSignIn(settings);
 */
export async function beginSignIn(
  settings: OidcSettings,
): Promise<{ url: string; transaction: SignInTransaction }> {
  const as = await authorizationServer(settings.issuer);
  if (!as.authorization_endpoint)
    throw new SignInError(`${settings.issuer} names no authorization endpoint.`);
  const transaction: SignInTransaction = {
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    codeVerifier: oauth.generateRandomCodeVerifier(),
  };
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', settings.clientId);
  url.searchParams.set('redirect_uri', settings.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', OIDC_SCOPES);
  url.searchParams.set('state', transaction.state);
  url.searchParams.set('nonce', transaction.nonce);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(transaction.codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return { url: url.toString(), transaction };
}

/**
 * Finishes a sign-in at the callback: checks `state`, redeems the code with the PKCE verifier, validates the
 * ID token (issuer, audience, expiry, nonce, signature) and returns who signed in.
 * @throws SignInError saying what failed (nothing about the user is trusted then).
 */
export async function finishSignIn(
  settings: OidcSettings,
  callbackUrl: URL,
  transaction: SignInTransaction,
  options: FinishOptions = {},
): Promise<SignedInUser> {
  const issuer = new URL(settings.issuer);
  const http = {
    ...requestOptions(issuer),
    ...(options.fetch ? { [oauth.customFetch]: options.fetch } : {}),
  };
  try {
    const as = await authorizationServer(settings.issuer);
    const client: oauth.Client = {
      client_id: settings.clientId,
      ...(options.clockSkewSeconds ? { [oauth.clockSkew]: options.clockSkewSeconds } : {}),
    };
    const auth = oauth.ClientSecretBasic(settings.clientSecret);
    const params = oauth.validateAuthResponse(as, client, callbackUrl, transaction.state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      params,
      settings.redirectUri,
      transaction.codeVerifier,
      http,
    );
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: transaction.nonce,
      requireIdToken: true,
    });
    // The ID token came straight from the token endpoint; its signature is checked all the same.
    await oauth.validateApplicationLevelSignature(as, response, http);
    const claims = oauth.getValidatedIdTokenClaims(result)!;
    let username = stringClaim(claims.preferred_username) ?? stringClaim(claims.nickname);
    let name = stringClaim(claims.name);
    if (!username) {
      const info = await oauth.processUserInfoResponse(
        as,
        client,
        claims.sub,
        await oauth.userInfoRequest(as, client, result.access_token, http),
      );
      username = stringClaim(info.preferred_username) ?? stringClaim(info.nickname);
      name ??= stringClaim(info.name);
    }
    if (!username) {
      throw new SignInError(
        `${settings.issuer} signed the user in but shared no username (preferred_username or nickname): the application needs the "profile" scope.`,
      );
    }
    return { username, sub: claims.sub, ...(name ? { name } : {}) };
  } catch (err) {
    if (err instanceof SignInError) throw err;
    throw new SignInError(
      `Signing in with GitLab failed: ${describeOAuthError(err)}. Nothing was recorded; sign in again.`,
      {
        cause: err,
      },
    );
  }
}

function stringClaim(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/** The library's error in words (its code and message, or the provider's `error` / `error_description`). */
export function describeOAuthError(err: unknown): string {
  if (err instanceof oauth.ResponseBodyError || err instanceof oauth.AuthorizationResponseError) {
    return `${err.error}${err.error_description ? ` (${err.error_description})` : ''}`;
  }
  if (err instanceof oauth.OperationProcessingError) return `${err.message} [${err.code}]`;
  return (err as Error)?.message ?? String(err);
}
