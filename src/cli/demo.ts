import { resolve } from 'node:path';
import { loadConfig } from '../../lambdas/shared/config';
import { ShipgateError } from '../../lambdas/shared/errors';
import { runDemo, tokenFromStateDir } from '../../sandbox/demo';
import { parseHistoryWindow } from '../../sandbox/history/plan';
import { runHistory } from '../../sandbox/history/run';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { FAILABLE_STAGES } from '../../sandbox/aws/ecr-annotations';
import { apiBaseUrl, parseCommand, sandboxPort, URL_OPTION } from './args';

const HELP = `Usage: shipgate demo [options]   (npm run demo -- [options])

Pushes an image tagged with a fresh commit SHA to the sandbox's ECR, sends a GitLab pipeline webhook,
prints the approval links as each gate opens and follows the release. Uses the sandbox found as every
command finds the API (--url, then SHIPGATE_API_URL, then http://127.0.0.1:$PORT, PORT defaulting to 3000),
or starts one on PORT for the duration of the demo.

Options:
  --auto-approve         sign in at the sandbox's GitLab as each approver, approve each gate and continue each pause
  --project <path>       GitLab project to release (default: the first one in the config)
  --rollout <fail|unhealthy>   make the image fail its ECS rollout, or fail the smoke check
  --fail-at <STAGE[@env]>      make the tasks fail at one lifecycle stage of a blue/green, canary or
                         linear rollout, in every environment or only in env (e.g. BAKE_TIME@production);
                         STAGE is one of ${FAILABLE_STAGES.join(', ')}
  --url <url>            the sandbox to use (see above)
  --findings <json>      emulated scan findings, e.g. '{"CRITICAL":1}'
  --no-wait              print the first review link and exit
  --history <window>     fill a new sandbox with that much past delivery history (e.g. 30d, 90d) through
                         the real paths (webhooks, approval links, rollouts, failures, rollbacks) under a
                         simulated clock, then stop; "npm start" on the same state dir shows it
  --seed <n>             with --history: the plan's random seed (default 1; the same seed, the same plan)
`;

interface SandboxInfo {
  url: string;
  awsEndpoint: string;
  stateDir: string;
}

async function probe(url: string): Promise<SandboxInfo | undefined> {
  try {
    const res = await fetch(`${url}/_sandbox/api/info`, { signal: AbortSignal.timeout(1500) });
    return res.ok ? ((await res.json()) as SandboxInfo) : undefined;
  } catch {
    return undefined;
  }
}

/** `--history <window>`: generates the sandbox's past (sandbox/history/run.ts). */
async function history(
  window: string,
  seedText: string | undefined,
  env: NodeJS.ProcessEnv,
  print: (line: string) => void,
): Promise<number> {
  const seed = seedText === undefined ? 1 : Number(seedText);
  let days: number;
  try {
    days = parseHistoryWindow(window);
    if (!Number.isSafeInteger(seed))
      throw new ShipgateError(`--seed takes a whole number, received "${seedText}".`);
  } catch (err) {
    process.stderr.write(`shipgate demo: ${(err as Error).message}\n`);
    return 2;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  try {
    const configPath = resolve(env.SHIPGATE_CONFIG ?? 'shipgate.config.yaml');
    const config = loadConfig(configPath, { ...env, SHIPGATE_CONFIG_JSON: undefined });
    const stateDir = resolve(env.SHIPGATE_STATE_DIR ?? '.shipgate');
    const phase = Number(env.SHIPGATE_SANDBOX_PHASE_MS);
    const result = await runHistory({
      config,
      configPath,
      stateDir,
      days,
      seed,
      phaseMs: Number.isFinite(phase) && phase > 0 ? phase : undefined,
      host: env.SHIPGATE_HOST || '127.0.0.1',
      env,
      print,
    });
    const start = env.SHIPGATE_STATE_DIR
      ? `SHIPGATE_STATE_DIR=${env.SHIPGATE_STATE_DIR} npm start`
      : 'npm start';
    print(`The history is in ${stateDir}: run "${start}" and open the DORA page (/#/dora).`);
    return result.releases.length ? 0 : 1;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`shipgate demo: ${err instanceof ShipgateError ? message : `failed: ${message}`}\n`);
    return 1;
  }
}

/**
 * `shipgate demo` (`npm run demo`): one release from webhook to production against the sandbox. Exits 0
 * when the release succeeded (or, with --no-wait, when the links were printed).
 */
export async function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values;
  let url: string;
  try {
    ({ values } = parseCommand(args, {
      ...URL_OPTION,
      'auto-approve': { type: 'boolean', default: false },
      project: { type: 'string' },
      rollout: { type: 'string' },
      'fail-at': { type: 'string' },
      findings: { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
      history: { type: 'string' },
      seed: { type: 'string' },
    }));
    url = apiBaseUrl(values.url, env);
    sandboxPort(env);
  } catch (err) {
    process.stderr.write(`shipgate demo: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.rollout !== undefined && values.rollout !== 'fail' && values.rollout !== 'unhealthy') {
    process.stderr.write(
      `shipgate demo: --rollout must be "fail" or "unhealthy", received "${values.rollout}"\n`,
    );
    return 2;
  }
  const failAt = values['fail-at'];
  if (failAt !== undefined) {
    const [stage, environment, extra] = failAt.split('@');
    if (
      extra !== undefined ||
      !(FAILABLE_STAGES as readonly string[]).includes(stage) ||
      (environment !== undefined && !/^[\w.-]+$/.test(environment))
    ) {
      process.stderr.write(
        `shipgate demo: --fail-at takes STAGE or STAGE@environment with STAGE one of ${FAILABLE_STAGES.join(', ')}; received "${failAt}"\n`,
      );
      return 2;
    }
  }
  if (values.findings !== undefined) {
    try {
      JSON.parse(values.findings);
    } catch {
      process.stderr.write(
        `shipgate demo: --findings must be JSON such as '{"CRITICAL":1}', received ${values.findings}\n`,
      );
      return 2;
    }
  }
  const print = (line: string) => process.stdout.write(`${line}\n`);
  if (values.history !== undefined) return history(values.history, values.seed, env, print);
  // The SDK warns on Node 20 about SDK releases after January 2027; the pinned SDK here is unaffected, and the
  // warning would bury the start-up output. An explicit setting in the environment still wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let started: Sandbox | undefined;
  try {
    const configPath = resolve(env.SHIPGATE_CONFIG ?? 'shipgate.config.yaml');
    const config = loadConfig(configPath, { ...env, SHIPGATE_CONFIG_JSON: undefined });
    let info = await probe(url);
    if (!info) {
      print(
        `No sandbox answers at ${url}; starting one for this demo (run "npm start" to keep one running).`,
      );
      started = await startSandbox({
        config,
        configPath,
        stateDir: resolve(env.SHIPGATE_STATE_DIR ?? '.shipgate'),
        host: env.SHIPGATE_HOST || '127.0.0.1',
        port: sandboxPort(env),
        awsPort: env.SHIPGATE_AWS_PORT ? Number(env.SHIPGATE_AWS_PORT) : 4566,
        env,
      });
      info = { url: started.url, awsEndpoint: started.awsEndpoint, stateDir: started.stateDir };
    }
    const webhookToken =
      env.SHIPGATE_WEBHOOK_TOKEN || started?.webhookToken || tokenFromStateDir(info.stateDir);
    if (!webhookToken) {
      throw new ShipgateError(
        `Cannot find the sandbox's webhook token (not in SHIPGATE_WEBHOOK_TOKEN nor ${info.stateDir}/secrets.json); set SHIPGATE_WEBHOOK_TOKEN to the token "npm start" printed.`,
      );
    }
    const t0 = Date.now();
    const result = await runDemo({
      config,
      url: info.url,
      awsEndpoint: info.awsEndpoint,
      webhookToken,
      signingKey: env.SHIPGATE_WEBHOOK_SIGNING_KEY || undefined,
      project: values.project,
      autoApprove: values['auto-approve'],
      rollout: values.rollout as 'fail' | 'unhealthy' | undefined,
      failAt,
      findings: values.findings,
      noWait: values['no-wait'],
      print,
    });
    if (result.status !== 'RUNNING') print(`Done in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
    return result.status === 'SUCCEEDED' || (values['no-wait'] && result.status === 'RUNNING') ? 0 : 1;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`shipgate demo: ${err instanceof ShipgateError ? message : `failed: ${message}`}\n`);
    return 1;
  } finally {
    if (started) await started.close('The demo finished');
  }
}
