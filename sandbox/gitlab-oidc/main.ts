import { startSandboxOidc, type SandboxOidcOptions } from './provider';

/**
 * The sandbox's GitLab OpenID provider on its own (tests start it in a child process, since it is an ES
 * module graph): options as JSON in `SHIPGATE_OIDC_OPTIONS`; prints one JSON line `{ issuer, clientId,
 * clientSecret }` once it listens, and stops on SIGTERM.
 */
async function main(): Promise<void> {
  const options = JSON.parse(process.env.SHIPGATE_OIDC_OPTIONS ?? '{}') as SandboxOidcOptions;
  const oidc = await startSandboxOidc(options);
  process.stdout.write(
    `${JSON.stringify({ issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret })}\n`,
  );
  const stop = () => void oidc.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
