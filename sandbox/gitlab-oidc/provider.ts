import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signInPage, type OidcUser } from './sign-in-page';

export type { OidcUser };

/**
 * The sandbox's "GitLab" as an OpenID Connect provider: the real `oidc-provider` (a certified OpenID
 * Provider implementation) on loopback, configured like GitLab's: authorization code with PKCE, client
 * secret sent with HTTP Basic, scopes `openid profile`, the username in `preferred_username` and
 * `nickname` of the ID token, `sub` a numeric user id. Its users are the config's approvers; its sign-in
 * page lists them (click one to be that user), and it asks every time, so one person trying the sandbox can
 * sign in as anybody in turn. Nothing else is emulated: a vote still needs the whole real exchange.
 */

/** A running provider. */
export interface SandboxOidc {
  issuer: string;
  clientId: string;
  clientSecret: string;
  users: OidcUser[];
  close(): Promise<void>;
}

/** What to start. */
export interface SandboxOidcOptions {
  users: OidcUser[];
  /** Redirect URIs of the Shipgate client (`<public URL>/auth/callback`). */
  redirectUris: string[];
  host?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** ID token lifetime in seconds. @default 3600 */
  idTokenTtl?: number;
  /** The signing key (an RSA private JWK); tests pass one to re-sign tampered tokens. @default generated */
  signingKey?: Record<string, unknown>;
  /** Extra clients (tests register a second application to prove a token for it is refused). */
  extraClients?: { clientId: string; clientSecret: string }[];
}

/** Client id of Shipgate at the sandbox's GitLab. */
export const SANDBOX_CLIENT_ID = 'shipgate-sandbox';

type ProviderModule = typeof import('oidc-provider');

/** Starts the provider; resolves once it listens. */
export async function startSandboxOidc(options: SandboxOidcOptions): Promise<SandboxOidc> {
  // oidc-provider is an ES module; Node 22 loads it with require(), tsx and esbuild alike.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: Provider, interactionPolicy } = require('oidc-provider') as ProviderModule;
  const host = options.host ?? '127.0.0.1';
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${host}:${port}`;
  const clientSecret = randomBytes(24).toString('base64url');

  // GitLab's user ids are numbers; the username is a claim, never the subject.
  const users = options.users.map((u, i) => ({ ...u, id: String(1001 + i) }));
  const byId = new Map(users.map((u) => [u.id, u]));

  const policy = interactionPolicy.base();
  // Ask every time (a real GitLab remembers its session; here one person plays every approver).
  policy
    .get('login')!
    .checks.add(
      new interactionPolicy.Check('sandbox_choose_user', 'The sandbox asks whom to sign in as', (ctx) =>
        (ctx.oidc as unknown as { result?: { login?: unknown } }).result?.login
          ? interactionPolicy.Check.NO_NEED_TO_PROMPT
          : interactionPolicy.Check.REQUEST_PROMPT,
      ),
    );
  const jwk =
    options.signingKey ??
    generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(issuer, {
    clients: [{ clientId: SANDBOX_CLIENT_ID, clientSecret }, ...(options.extraClients ?? [])].map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: options.redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [{ ...jwk, kid: 'sandbox-gitlab', use: 'sig', alg: 'RS256' }] },
    findAccount: (_ctx, id) => {
      const u = byId.get(id);
      if (!u) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, name: u.name, nickname: u.username, preferred_username: u.username }),
      };
    },
    claims: { openid: ['sub'], profile: ['name', 'nickname', 'preferred_username'] },
    // GitLab puts the profile claims in the ID token too.
    conformIdTokenClaims: false,
    scopes: ['openid', 'profile'],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { policy, url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: {
      IdToken: options.idTokenTtl ?? 3600,
      AccessToken: 600,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 600,
      Grant: 600,
    },
    // A first-party application: no consent screen, as for an instance-wide trusted GitLab application.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client!.clientId,
        accountId: ctx.oidc.session!.accountId!,
      });
      grant.addOIDCScope('openid profile');
      await grant.save();
      return grant;
    },
    renderError: (ctx, out) => {
      ctx.type = 'text/plain';
      ctx.body = `The sandbox's GitLab refused: ${out.error}${out.error_description ? ` (${out.error_description})` : ''}`;
    },
  });
  const callback = provider.callback();

  handler = (req, res) => {
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec((req.url ?? '').split('?')[0]);
    if (!m) {
      callback(req, res);
      return;
    }
    void interaction(req, res, m[2] === '/login').catch((err: Error) => {
      res.statusCode = 400;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end(
        `The sandbox's GitLab could not sign you in: ${err.message}. Start again from the review page.`,
      );
    });
  };

  async function interaction(req: IncomingMessage, res: ServerResponse, login: boolean): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (!login) {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.setHeader('cache-control', 'no-store');
      res.end(signInPage(details.uid, users, String(details.params.client_id ?? '')));
      return;
    }
    if (req.method !== 'POST') throw new Error('choosing a user is a POST from the sign-in page');
    const body = new URLSearchParams(await readBody(req));
    const user = users.find((u) => u.username === body.get('username'));
    if (!user) throw new Error(`"${body.get('username') ?? ''}" is not a user of the sandbox's GitLab`);
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: user.id } },
      { mergeWithLastSubmission: false },
    );
  }

  return {
    issuer,
    clientId: SANDBOX_CLIENT_ID,
    clientSecret,
    users: options.users,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16 * 1024) throw new Error('the form is too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
