import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { forgetDiscovery } from '../../lambdas/domain/decisions/oidc';

export { BrowserSession, decideAs, hiddenInput, text } from '../../sandbox/approve-link';

const ROOT = resolve(__dirname, '..', '..');

/** The sandbox's GitLab OpenID provider in a child process (an ES module graph jest cannot load). */
export interface TestOidc {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

/** Starts the sandbox's GitLab (the real `oidc-provider`) with these users, in a child process. */
export async function startTestOidc(options: {
  users: { username: string; name: string }[];
  redirectUris: string[];
  idTokenTtl?: number;
  extraClients?: { clientId: string; clientSecret: string }[];
  signingKey?: Record<string, unknown>;
}): Promise<TestOidc> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-e', "require('tsx/cjs/api').register(); require('./sandbox/gitlab-oidc/main.ts')"],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        SHIPGATE_OIDC_OPTIONS: JSON.stringify(options),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const started = await new Promise<{ issuer: string; clientId: string; clientSecret: string }>(
    (ok, fail) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line && out.includes('\n')) ok(JSON.parse(line) as never);
      });
      child.once('exit', (code) =>
        fail(new Error(`the test GitLab OpenID provider exited (${code}): ${err}`)),
      );
    },
  );
  return {
    ...started,
    close: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok();
        child.once('exit', () => ok());
        child.kill('SIGTERM');
      }),
  };
}

/** Shipgate's hono app on loopback with sign-in through a test GitLab whose users are `users`. */
export interface SignInRig {
  /** The app's base URL (also `SHIPGATE_PUBLIC_URL` while the rig runs). */
  url: string;
  oidc: TestOidc;
  close(): Promise<void>;
}

/**
 * Serves `app` on 127.0.0.1 and starts a GitLab OpenID provider for it, and points Shipgate at both
 * (`SHIPGATE_PUBLIC_URL`, `SHIPGATE_OIDC_ISSUER`, `SHIPGATE_OIDC_CLIENT_ID`, `SHIPGATE_OIDC_CLIENT_SECRET`).
 * Then `decideAs(`${rig.url}/approvals/${id}`, 'alice', 'approve')` decides as a signed-in person would.
 * @example const rig = await startSignInRig(app, [{ username: 'alice', name: 'Alice' }]);
 */
export async function startSignInRig(
  app: Hono,
  users: { username: string; name: string }[],
  options: { idTokenTtl?: number; extraClients?: { clientId: string; clientSecret: string }[] } = {},
): Promise<SignInRig> {
  const server = await new Promise<ReturnType<typeof serve>>((ok) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => ok(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const oidc = await startTestOidc({ users, redirectUris: [`${url}/auth/callback`], ...options });
  const saved = {
    SHIPGATE_PUBLIC_URL: process.env.SHIPGATE_PUBLIC_URL,
    SHIPGATE_OIDC_ISSUER: process.env.SHIPGATE_OIDC_ISSUER,
    SHIPGATE_OIDC_CLIENT_ID: process.env.SHIPGATE_OIDC_CLIENT_ID,
    SHIPGATE_OIDC_CLIENT_SECRET: process.env.SHIPGATE_OIDC_CLIENT_SECRET,
  };
  Object.assign(process.env, {
    SHIPGATE_PUBLIC_URL: url,
    SHIPGATE_OIDC_ISSUER: oidc.issuer,
    SHIPGATE_OIDC_CLIENT_ID: oidc.clientId,
    SHIPGATE_OIDC_CLIENT_SECRET: oidc.clientSecret,
  });
  forgetDiscovery();
  return {
    url,
    oidc,
    close: async () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await oidc.close();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
