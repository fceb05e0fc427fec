import { apiRequest } from './api-client';
import { cliActor } from './actor';
import { apiBaseUrl, parseCommand, URL_OPTION } from './args';
import type { RolloutDeps } from '../../lambdas/domain/rollout/deps';
import type { RollbackEntry } from '../../lambdas/domain/rollback/store';
import { ShipgateError } from '../../lambdas/shared/errors';

const USAGE = `Usage: shipgate rollback <service> <environment> [--reason "why"] [--by name] [--url <API URL>]

Rolls <service> in <environment> back to the digest Shipgate released there before the current one,
pinned by digest, with the service's configured strategy, under the rollout lock, and waits (at most
rollout.timeout). The rollback is recorded (GET /api/rollbacks, and the release it undid shows
ROLLED_BACK there), announced in chat and reported to GitLab as a deployment.

--by defaults to your login name ($USER).

Where it runs (the API is found as every command finds it: --url, then SHIPGATE_API_URL, then PORT):
  a running sandbox (npm start)   nothing to set; PORT if the sandbox is not on 3000
  Shipgate in AWS, via its API    --url or SHIPGATE_API_URL=<ApiUrl output of the stack>
  in this process, against AWS    SHIPGATE_TABLE, SHIPGATE_CONFIG and AWS credentials (as the Lambdas use)
`;

/** How long the CLI follows a rollback through the API before it stops waiting (it keeps running). */
const FOLLOW_MS = 60 * 60 * 1000;

/** Options of {@link run} (tests inject dependencies and capture output). */
export interface RollbackCliOptions {
  /** Run in this process with these rollout dependencies (as with SHIPGATE_TABLE set). */
  deps?: Partial<RolloutDeps>;
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  who?: string;
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * `shipgate rollback <service> <environment>`: manual rollback to the previously released digest, through
 * the Shipgate API (a running sandbox or `SHIPGATE_API_URL`) or, with `SHIPGATE_TABLE` set, in this
 * process. Prints human lines. Exit codes: 0 rolled back, 1 failed or refused, 2 usage.
 * @example await run(['api-gateway', 'production', '--reason', 'p99 latency doubled']);
 */
export async function run(args: string[], options: RollbackCliOptions = {}): Promise<number> {
  const out = options.stdout ?? ((s: string) => void process.stdout.write(s));
  const err = options.stderr ?? ((s: string) => void process.stderr.write(s));
  const env = options.env ?? process.env;
  let parsed: ReturnType<typeof parse>;
  let baseUrl: string;
  try {
    parsed = parse(args);
    if (parsed.values.help) {
      out(USAGE);
      return 0;
    }
    baseUrl = apiBaseUrl(parsed.values.url, env);
  } catch (e) {
    err(`shipgate rollback: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.positionals.length !== 2) {
    err(USAGE);
    return 2;
  }
  const [service, environment] = parsed.positionals;
  const request = {
    service,
    environment,
    by: parsed.values.by ?? options.who ?? cliActor(env),
    ...(parsed.values.reason ? { reason: parsed.values.reason } : {}),
  };
  try {
    const entry =
      options.deps || env.SHIPGATE_TABLE
        ? await runHere(request, options, out)
        : await runThroughApi(request, options, env, baseUrl, out);
    if (entry === 'usage') return 2;
    if (entry.status === 'ROLLED_BACK') return 0;
    if (entry.status === 'FAILED') {
      err(
        `shipgate rollback: ${entry.error?.error ?? 'Error'}: ${entry.error?.cause ?? 'no cause recorded'}\n`,
      );
      return 1;
    }
    err(`shipgate rollback: stopped following rollback ${entry.id} (${entry.status}); it keeps running.\n`);
    return 1;
  } catch (e) {
    const error = e as Error & { code?: string };
    err(`shipgate rollback: ${error instanceof ShipgateError ? `${error.name}: ` : ''}${error.message}\n`);
    return 1;
  }
}

function parse(args: string[]) {
  return parseCommand(
    args,
    { ...URL_OPTION, reason: { type: 'string', short: 'r' }, by: { type: 'string' } },
    2,
  );
}

type Request = { service: string; environment: string; by: string; reason?: string };

/** In this process: the same domain functions the API route and the manual-rollback Lambda run. */
async function runHere(
  request: Request,
  options: RollbackCliOptions,
  out: (s: string) => void,
): Promise<RollbackEntry | 'usage'> {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only in this mode (AWS SDK clients) */
  const { rolloutDeps } =
    require('../../lambdas/domain/rollout/deps') as typeof import('../../lambdas/domain/rollout/deps');
  const { announceDeps } =
    require('../../lambdas/domain/outcomes/announce') as typeof import('../../lambdas/domain/outcomes/announce');
  const manual =
    require('../../lambdas/domain/rollback/manual') as typeof import('../../lambdas/domain/rollback/manual');
  const { BadRequestError } =
    require('../../lambdas/shared/errors') as typeof import('../../lambdas/shared/errors');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const rollout = rolloutDeps(options.deps);
  const deps = {
    rollout,
    announce: announceDeps({
      config: rollout.config,
      ddb: rollout.ddb,
      table: rollout.table,
      now: rollout.now,
    }),
  };
  let entry: RollbackEntry;
  try {
    entry = await manual.requestManualRollback(request, deps);
  } catch (e) {
    if (e instanceof BadRequestError) {
      (options.stderr ?? ((s: string) => void process.stderr.write(s)))(`shipgate rollback: ${e.message}\n`);
      return 'usage';
    }
    throw e;
  }
  out(`${entry.progress[0]}\n`);
  return manual.runManualRollback(entry.id, deps, (line) => out(`${line}\n`));
}

/** Through `POST /api/rollbacks`, then following `GET /api/rollbacks/<id>` until it ends. */
async function runThroughApi(
  request: Request,
  options: RollbackCliOptions,
  env: NodeJS.ProcessEnv,
  base: string,
  out: (s: string) => void,
): Promise<RollbackEntry | 'usage'> {
  const fetchImpl = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  // Signed with SigV4 against AWS (the /api routes are behind the HTTP API's IAM authorizer); unsigned on
  // loopback, where the sandbox keeps them open.
  const call = async (path: string, init?: { method?: string; body?: string; headers?: unknown }) => {
    try {
      return await apiRequest({
        baseUrl: base,
        path,
        method: init?.method,
        body: init?.body,
        env,
        fetchImpl,
        timeoutMs: 15_000,
      });
    } catch (e) {
      if (e instanceof ShipgateError) throw e;
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
      throw new Error(
        `no Shipgate API answers at ${base} (${cause}). Start the sandbox (npm start)${
          env.SHIPGATE_API_URL ? '' : ', or set PORT to the port it listens on'
        }; for Shipgate in AWS set SHIPGATE_API_URL to the stack's ApiUrl output, or set SHIPGATE_TABLE, SHIPGATE_CONFIG and AWS credentials to run the rollback from here.`,
        { cause: e },
      );
    }
  };
  const res = await call('/api/rollbacks', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const answer = (await res.json().catch(() => ({}))) as {
    rollback?: RollbackEntry;
    links?: { self?: string };
    error?: string;
    code?: string;
  };
  if (res.status === 400) {
    (options.stderr ?? ((s: string) => void process.stderr.write(s)))(
      `shipgate rollback: ${answer.error ?? 'the API refused the request (HTTP 400)'}\n`,
    );
    return 'usage';
  }
  if (res.status !== 202 || !answer.rollback) {
    throw new Error(
      `${answer.code ? `${answer.code}: ` : ''}${answer.error ?? `the API answered HTTP ${res.status}`}`,
    );
  }
  let entry = answer.rollback;
  let printed = 0;
  const print = (e: RollbackEntry) => {
    for (const line of e.progress.slice(printed)) out(`${line}\n`);
    printed = e.progress.length;
  };
  print(entry);
  out(`Following ${answer.links?.self ?? `${base}/api/rollbacks/${entry.id}`}\n`);
  const until = Date.now() + FOLLOW_MS;
  while ((entry.status === 'REQUESTED' || entry.status === 'ROLLING_BACK') && Date.now() < until) {
    await sleep(1000);
    const next = await call(`/api/rollbacks/${encodeURIComponent(entry.id)}`);
    if (!next.ok) continue;
    entry = ((await next.json()) as { rollback: RollbackEntry }).rollback;
    print(entry);
  }
  return entry;
}
