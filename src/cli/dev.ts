import { resolve } from 'node:path';
import { loadConfig } from '../../lambdas/shared/config';
import { ShipgateError } from '../../lambdas/shared/errors';
import { startSandbox } from '../../sandbox/sandbox';
import { parseCommand } from './args';

const HELP = `Usage: shipgate dev   (npm start)

Runs the Shipgate sandbox in the foreground: the hono app and console, an AWS-compatible endpoint
(Step Functions, ECS, ECR, SSM, CodeDeploy, DynamoDB) and the release state machine executed locally.

Environment:
  PORT                          hono app + console (default 3000)
  SHIPGATE_AWS_PORT             AWS-compatible endpoint (default 4566)
  SHIPGATE_HOST                 interface to listen on (default 127.0.0.1)
  SHIPGATE_CONFIG               config file (default ./shipgate.config.yaml)
  SHIPGATE_STATE_DIR            persistent state (default ./.shipgate)
  SHIPGATE_WEBHOOK_TOKEN        X-Gitlab-Token to accept (default: generated once, kept in the state dir)
  SHIPGATE_WEBHOOK_SIGNING_KEY  whsec_… signing key (optional)
  SHIPGATE_CHAT_WEBHOOK_URL     also POST chat messages there (they always show in the console)
  SHIPGATE_GITLAB_URL, SHIPGATE_GITLAB_TOKEN   GitLab feedback (off unless both are set)
  SHIPGATE_PUBLIC_URL           base of approval links (default http://127.0.0.1:<PORT>)
  SHIPGATE_SANDBOX_PHASE_MS     duration of each emulated rollout phase (default 300)
  SHIPGATE_SANDBOX_REQUEST_LOG  file recording every request to the emulated AWS services (JSON lines)
  SHIPGATE_SANDBOX_HUMAN_WAIT_MS  least real time people get to decide a pause (default 120000)

Upgrade while it runs: send SIGHUP (kill -HUP <pid>) or POST /_sandbox/upgrade. The sandbox rebuilds the
Lambda bundles from the working tree and publishes them as new function and state machine versions;
executions already running finish on the code they started with, new ones get the new build.
`;

function port(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ShipgateError(`${name} must be a port number between 0 and 65535, received "${raw}"`);
  }
  return n;
}

/**
 * `shipgate dev` (`npm start`): starts the sandbox, prints where everything is, and runs until Ctrl-C or
 * SIGTERM, then stops cleanly (running executions are recorded as aborted with the reason).
 */
export async function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    if (parseCommand(args, {}).values.help) {
      process.stdout.write(HELP);
      return 0;
    }
  } catch (err) {
    process.stderr.write(`shipgate dev: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const out = (line = '') => process.stdout.write(`${line}\n`);
  // The SDK warns on Node 20 about SDK releases after January 2027; the pinned SDK here is unaffected, and the
  // warning would bury the start-up output. An explicit setting in the environment still wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let sandbox;
  try {
    const configPath = resolve(env.SHIPGATE_CONFIG ?? 'shipgate.config.yaml');
    const config = loadConfig(configPath, { ...env, SHIPGATE_CONFIG_JSON: undefined });
    const phase = env.SHIPGATE_SANDBOX_PHASE_MS ? Number(env.SHIPGATE_SANDBOX_PHASE_MS) : undefined;
    sandbox = await startSandbox({
      config,
      configPath,
      stateDir: resolve(env.SHIPGATE_STATE_DIR ?? '.shipgate'),
      host: env.SHIPGATE_HOST || '127.0.0.1',
      port: port('PORT', 3000, env),
      awsPort: port('SHIPGATE_AWS_PORT', 4566, env),
      env,
      phaseMs: phase !== undefined && Number.isFinite(phase) && phase >= 0 ? phase : undefined,
      requestLog: env.SHIPGATE_SANDBOX_REQUEST_LOG ? resolve(env.SHIPGATE_SANDBOX_REQUEST_LOG) : undefined,
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof ShipgateError) {
      process.stderr.write(`shipgate dev: ${message.split('\n').join('\n  ')}\n`);
    } else if (/Cannot find module/.test(message)) {
      process.stderr.write(
        `shipgate dev: a dependency is missing (${message.split('\n')[0]}); run "npm ci" and try again.\n`,
      );
    } else {
      process.stderr.write(`shipgate dev: could not start: ${message}\n`);
    }
    return 1;
  }
  const s = sandbox;
  out('Shipgate sandbox is running.');
  out();
  out(`  Console + API      ${s.url}/`);
  out(`  GitLab webhook     POST ${s.url}/webhooks/gitlab`);
  out(`  Webhook token      ${s.webhookToken}   (X-Gitlab-Token; ${s.webhookTokenSource})`);
  out(
    `  AWS endpoint       ${s.awsEndpoint}   (aws --endpoint-url ${s.awsEndpoint} stepfunctions list-executions --state-machine-arn ${s.stateMachineArn})`,
  );
  out(`  State machine      ${s.stateMachineArn}`);
  out(
    "  AWS accounts       000000000000 (Shipgate; keys AKIA000000000000ADMN / sandbox-000000000000-admin-not-a-secret) and each environment's own (keys AKIA<account>ADMN / sandbox-<account>-admin-not-a-secret; sandbox/README.md, Accounts)",
  );
  out(
    `  GitLab sign-in     ${s.oidcIssuer}   (the sandbox's OpenID provider: review pages sign in here as an approver)`,
  );
  out(
    `  Variation seed     SHIPGATE_SANDBOX_SEED=${process.env.SHIPGATE_SANDBOX_SEED}   (list orders, reason texts; set it to replay)`,
  );
  out(`  State dir          ${s.stateDir}`);
  out(
    `  Seeded             ${s.seed.repositories.length} ECR repositories, ${s.seed.services.length} ECS services, ${s.seed.contracts.length} deploy contracts`,
  );
  if (s.interrupted.length) {
    out(
      `  Aborted            ${s.interrupted.length} execution(s) interrupted by the last stop: ${s.interrupted.join(', ')}`,
    );
  }
  const host = env.SHIPGATE_HOST || '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    out();
    out(
      `  Warning: listening on ${host}. Anyone who can reach it can use the console, which shows approvers'`,
    );
    out(
      '  personal approval links, and the AWS endpoint, whose keys are printed above. Use a trusted network.',
    );
  }
  out();
  out(`Try it: npm run demo  (in another terminal). Upgrade: kill -HUP ${process.pid}. Stop with Ctrl-C.`);

  return new Promise<number>((resolveRun) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      out(`\nStopping (${signal})…`);
      s.close(`The sandbox was stopped (${signal})`).then(
        () => {
          out('Stopped. State kept in ' + s.stateDir);
          // Everything is closed and flushed; should a handler library still hold a socket or timer,
          // do not let it keep a stopped sandbox alive (the timer itself does not hold the process).
          setTimeout(() => process.exit(0), 2000).unref();
          resolveRun(0);
        },
        (err: unknown) => {
          process.stderr.write(`shipgate dev: error while stopping: ${(err as Error).message}\n`);
          resolveRun(1);
        },
      );
    };
    // `on`, not `once`: a signal can arrive twice (a second Ctrl-C, or a wrapper such as `npm start` or tsx
    // relaying what the terminal already sent); the second one must not fall through to "exit now".
    // SIGHUP rolls out the working tree's build (sandbox/upgrade.ts), as a deploy would; one at a time.
    process.on('SIGHUP', () => {
      if (stopping) return;
      out('Upgrading: building the working tree…');
      s.upgrade().then(
        (r) =>
          out(
            r.changed
              ? `Upgraded to function version ${r.functionVersion} (bundles ${r.bundleHash.slice(0, 12)}); ${r.runningOnOlderVersions} running execution(s) keep the code they started with.`
              : `Nothing changed: still function version ${r.functionVersion}.`,
          ),
        (err: unknown) =>
          process.stderr.write(
            `shipgate dev: the upgrade failed and changed nothing: ${(err as Error).message}
`,
          ),
      );
    });
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
