import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ensureTable, startDynalite, type LocalDynamo } from '../sandbox/dynamodb';
import { gitlabDelivery, pipelinePayload } from '../test/helpers/gitlab-deliveries';
import {
  runInProcess,
  runWrk,
  wrkAvailable,
  type LoadLimits,
  type LoadResult,
  type LoadTarget,
} from './lib/load';
import { build } from 'esbuild';
import { spawnServer, type ServerProcess } from './lib/proc';
import { startSfnStandIn, type SfnStandIn } from './lib/sfn-standin';

const ROOT = resolve(__dirname, '..');
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:shipgate-release';
const TABLE = 'shipgate-bench';
/** A pipeline id no fixture uses, replaced by `__SEQ__` in the body template. */
const ID_MARK = 987654321987;
/** Interleaved rounds of load runs; each figure is the best round (least disturbed by other load). */
const ROUNDS = 2;

/** A figure that could not be measured, and why (never a made-up number). */
export interface NotMeasured {
  notMeasured: string;
}

/** One load run: who served, which path, the figures. */
export interface IngestRun {
  server: 'shipgate (hono, @hono/node-server)' | 'bare node:http' | 'adnanh/webhook';
  path: 'accept' | 'reject';
  result: LoadResult | NotMeasured;
}

/** Results of the webhook part. */
export interface WebhookResults {
  loadGenerator: string;
  limits: LoadLimits;
  runs: IngestRun[];
  /** Executions the stand-in created during the Shipgate accept run, vs 202 answers. */
  acceptRunExecutions?: { answered202: number; executionsCreated: number; startExecutionCalls: number };
  ratios: Record<string, number | NotMeasured>;
  /**
   * Where the Shipgate reject path loses against bare node:http: the same 5 s load on a minimal hono app doing
   * the bare server's work, and on Shipgate refusing before it reads the body (415) and after (401).
   */
  diagnostics: { label: string; requestsPerSec: number; p99Ms: number; vsBareReject: number }[];
  /** Requests/s of every run, by round (the figures above are the best round of each). */
  rounds: { round: number; server: IngestRun['server']; path: IngestRun['path']; requestsPerSec: number }[];
  burst: BurstResult | NotMeasured;
}

/** The 500-delivery burst. */
export interface BurstResult {
  deliveries: number;
  uniqueEvents: number;
  redeliveries: number;
  wallMs: number;
  statuses: Record<string, number>;
  /** Executions the Step Functions stand-in created for the burst's events. */
  executionsStarted: number;
  /** StartExecution calls that reached Step Functions (a racing redelivery may call it; SFN answers the same). */
  startExecutionCalls: number;
  /** Distinct executionArn values in the 202 answers. */
  distinctExecutionArnsAnswered: number;
  exact: boolean;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function waitForHttp(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function bodyTemplate(): string {
  return JSON.stringify(pipelinePayload({ id: ID_MARK }))
    .split(String(ID_MARK))
    .join('__SEQ__');
}

/** Headers of a delivery, with `__SEQ__` in the Idempotency-Key so every request is a distinct delivery. */
function deliveryHeaders(token: string): Record<string, string> {
  const d = gitlabDelivery('{}', { token, event: 'Pipeline Hook', idempotencyKey: 'bench-__SEQ__' });
  return { ...d.headers, 'X-Gitlab-Webhook-UUID': 'bench-hook', 'X-Gitlab-Event-UUID': 'bench-__SEQ__' };
}

/**
 * Bundles a server entry with esbuild the way the Lambdas are bundled (CommonJS, node22, minified, AWS SDK
 * external), so it runs under plain `node` without a TypeScript loader in the request path.
 */
async function bundleServer(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [join(__dirname, 'servers', entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  return outfile;
}

/** Runs the ingest comparison and the burst. `workDir` must be inside the repository. */
export async function benchWebhook(
  workDir: string,
  limits: LoadLimits,
  log: (line: string) => void,
): Promise<WebhookResults> {
  const token = `bench-token-${randomBytes(12).toString('hex')}`;
  const wrongToken = `${token.slice(0, -4)}XXXX`;
  const useWrk = wrkAvailable();
  const loadGenerator = useWrk
    ? `wrk (${spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0].trim()}), ${limits.connections} connections, ${limits.durationSec} s per run, best of ${ROUNDS} interleaved rounds`
    : `in-process keep-alive client (wrk not installed: apt-get install -y wrk), ${limits.connections} connections, ${limits.durationSec} s or ${limits.maxRequests} requests per run, best of ${ROUNDS} interleaved rounds`;
  const load = (target: LoadTarget) =>
    useWrk ? runWrk(target, limits, workDir) : runInProcess(target, limits);

  const runs: IngestRun[] = [];
  const body = bodyTemplate();
  const acceptHeaders = deliveryHeaders(token);
  const rejectHeaders = deliveryHeaders(wrongToken);
  const nodeEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  let sfn: SfnStandIn | undefined;
  let dynamo: LocalDynamo | undefined;
  let appServer: ServerProcess | undefined;
  let bare: ServerProcess | undefined;
  let hookd: ServerProcess | undefined;
  let minimal: ServerProcess | undefined;
  const diagnostics: WebhookResults['diagnostics'] = [];
  let acceptRunExecutions: WebhookResults['acceptRunExecutions'];
  let burst: BurstResult | NotMeasured | undefined;
  const rounds: {
    round: number;
    server: IngestRun['server'];
    path: IngestRun['path'];
    requestsPerSec: number;
  }[] = [];
  try {
    // Start every server first, so the runs can be interleaved (a shared machine's load drifts over time).
    bare = await spawnServer(
      process.execPath,
      [await bundleServer('bare-server.ts', join(workDir, 'servers', 'bare-server.js'))],
      { ...nodeEnv, SHIPGATE_WEBHOOK_TOKEN: token },
      /LISTENING (\d+)/,
    );
    const bareUrl = `http://127.0.0.1:${bare.port}/webhooks/gitlab`;

    // The real app, with its AWS calls answered on loopback.
    sfn = await startSfnStandIn();
    dynamo = await startDynalite(join(workDir, 'dynalite'));
    const dynamoUrl = `http://127.0.0.1:${dynamo.port}`;
    process.env.AWS_ACCESS_KEY_ID ??= 'bench';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
    await ensureTable(dynamoUrl, TABLE);
    appServer = await spawnServer(
      process.execPath,
      [await bundleServer('app-server.ts', join(workDir, 'servers', 'app-server.js'))],
      {
        ...nodeEnv,
        NODE_ENV: 'production',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench-not-a-key',
        AWS_SECRET_ACCESS_KEY: 'bench-not-a-secret',
        AWS_ENDPOINT_URL_SFN: sfn.url,
        AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
        SHIPGATE_TABLE: TABLE,
        SHIPGATE_STATE_MACHINE_ARN: STATE_MACHINE_ARN,
        SHIPGATE_WEBHOOK_TOKEN: token,
        SHIPGATE_PUBLIC_URL: 'http://127.0.0.1:1',
        SHIPGATE_CONFIG: join(ROOT, 'shipgate.config.yaml'),
        SHIPGATE_LOG_LEVEL: 'ERROR',
        AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
      },
      /LISTENING (\d+)/,
    );
    const appUrl = `http://127.0.0.1:${appServer.port}/webhooks/gitlab`;

    // adnanh/webhook, reject path only (its accept path runs a command per hook).
    const hookdBin = spawnSync('webhook', ['-version'], { encoding: 'utf8' });
    let hookUrl: string | undefined;
    if (!hookdBin.error) {
      const hooksFile = join(workDir, 'hooks.json');
      writeFileSync(
        hooksFile,
        JSON.stringify([
          {
            id: 'gitlab',
            'execute-command': '/bin/true',
            'http-methods': ['POST'],
            'trigger-rule-mismatch-http-response-code': 401,
            'trigger-rule': {
              match: {
                type: 'value',
                value: token,
                parameter: { source: 'header', name: 'X-Gitlab-Token' },
              },
            },
          },
        ]),
      );
      const port = await freePort();
      hookd = await spawnServer(
        'webhook',
        ['-hooks', hooksFile, '-ip', '127.0.0.1', '-port', String(port), '-nopanic'],
        nodeEnv,
        null,
        port,
      );
      hookUrl = `http://127.0.0.1:${port}/hooks/gitlab`;
      await waitForHttp(hookUrl);
    }

    const shipgate = 'shipgate (hono, @hono/node-server)' as const;
    const plan: { server: IngestRun['server']; path: IngestRun['path']; url?: string }[] = [
      { server: 'bare node:http', path: 'accept', url: bareUrl },
      { server: 'bare node:http', path: 'reject', url: bareUrl },
      { server: shipgate, path: 'accept', url: appUrl },
      { server: shipgate, path: 'reject', url: appUrl },
      { server: 'adnanh/webhook', path: 'reject', url: hookUrl },
    ];
    const best = new Map<string, LoadResult>();
    let runIndex = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      for (const step of plan) {
        if (!step.url) continue;
        log(`  round ${round}/${ROUNDS}: ${step.server}, ${step.path} path`);
        const callsBefore = sfn.startCalls.length;
        const execsBefore = sfn.executions.size;
        const accept = step.path === 'accept';
        runIndex += 1;
        const result = await load({
          // A fresh range of pipeline ids and Idempotency-Keys per run: an accept run never replays another's.
          seqBase: runIndex * 100_000_000,
          url: step.url,
          headers: accept ? acceptHeaders : rejectHeaders,
          body,
          expectStatus: accept ? 202 : 401,
        });
        rounds.push({
          round,
          server: step.server,
          path: step.path,
          requestsPerSec: Math.round(result.requestsPerSec),
        });
        const key = `${step.server}|${step.path}`;
        if (!best.has(key) || best.get(key)!.requestsPerSec < result.requestsPerSec) {
          best.set(key, result);
          if (step.server === shipgate && accept) {
            acceptRunExecutions = {
              answered202: result.expected,
              executionsCreated: sfn.executions.size - execsBefore,
              startExecutionCalls: sfn.startCalls.length - callsBefore,
            };
          }
        }
      }
    }
    for (const step of plan) {
      const result = best.get(`${step.server}|${step.path}`);
      runs.push({
        server: step.server,
        path: step.path,
        result: result ?? { notMeasured: 'webhook (adnanh) is not installed: apt-get install -y webhook' },
      });
    }

    // Diagnostics of the reject path, right after the rounds.
    minimal = await spawnServer(
      process.execPath,
      [await bundleServer('hono-minimal.ts', join(workDir, 'servers', 'hono-minimal.js'))],
      { ...nodeEnv, SHIPGATE_WEBHOOK_TOKEN: token },
      /LISTENING (\d+)/,
    );
    const bareReject = best.get('bare node:http|reject')!.requestsPerSec;
    for (const [label, url, headers, expectStatus] of [
      [
        'minimal hono app on @hono/node-server (c.req.arrayBuffer(), token check, JSON.parse), wrong token',
        `http://127.0.0.1:${minimal.port}/webhooks/gitlab`,
        rejectHeaders,
        401,
      ],
      [
        'shipgate, Content-Type text/plain (415 before the body is read)',
        appUrl,
        { ...rejectHeaders, 'Content-Type': 'text/plain' },
        415,
      ],
      ['shipgate, wrong token (401 after the body is read)', appUrl, rejectHeaders, 401],
    ] as const) {
      log(`  diagnostic: ${label}`);
      runIndex += 1;
      const r = await load({ seqBase: runIndex * 100_000_000, url, headers, body, expectStatus });
      diagnostics.push({
        label,
        requestsPerSec: Math.round(r.requestsPerSec),
        p99Ms: r.p99Ms,
        vsBareReject: Math.round((r.requestsPerSec / bareReject) * 1000) / 1000,
      });
    }
    await minimal.stop();

    log('  burst: 500 deliveries in about a second, 20% redeliveries');
    burst = await runBurst(appUrl, token, sfn);
  } finally {
    await minimal?.stop();
    await hookd?.stop();
    await appServer?.stop();
    await bare?.stop();
    await sfn?.close();
    await dynamo?.close();
  }

  const rps = (server: IngestRun['server'], path: IngestRun['path']): number | NotMeasured => {
    const run = runs.find((r) => r.server === server && r.path === path);
    if (!run) return { notMeasured: `${server} ${path} path did not run` };
    if ('notMeasured' in run.result) return run.result;
    return run.result.requestsPerSec;
  };
  const ratio = (a: number | NotMeasured, b: number | NotMeasured): number | NotMeasured =>
    typeof a === 'number' && typeof b === 'number'
      ? Math.round((a / b) * 1000) / 1000
      : typeof a === 'number'
        ? (b as NotMeasured)
        : a;
  const shipgate = 'shipgate (hono, @hono/node-server)' as const;
  return {
    loadGenerator,
    limits,
    runs,
    acceptRunExecutions,
    diagnostics,
    rounds,
    ratios: {
      'shipgate/bare throughput, reject path': ratio(
        rps(shipgate, 'reject'),
        rps('bare node:http', 'reject'),
      ),
      'shipgate/bare throughput, accept path (shipgate also writes DynamoDB and starts an execution)': ratio(
        rps(shipgate, 'accept'),
        rps('bare node:http', 'accept'),
      ),
      'shipgate/adnanh-webhook throughput, reject path': ratio(
        rps(shipgate, 'reject'),
        rps('adnanh/webhook', 'reject'),
      ),
    },
    burst: burst ?? { notMeasured: 'the burst did not run' },
  };
}

/**
 * 500 deliveries paced over about a second: 400 distinct pipeline events and 100 exact redeliveries (same
 * headers and body, as GitLab's "Resend request" and its automatic retries send them), each redelivery sent
 * shortly after its original so some race it.
 */
async function runBurst(url: string, token: string, sfn: SfnStandIn): Promise<BurstResult> {
  const unique = 400;
  const total = 500;
  const base = 880_000_000;
  const originals = Array.from({ length: unique }, (_, i) =>
    gitlabDelivery(pipelinePayload({ id: base + i, sha: randomBytes(20).toString('hex') }), { token }),
  );
  const schedule = [...originals];
  // Every 4th event is redelivered, 1–20 positions after its original (some overlap in flight).
  for (let i = 0; i < unique; i += 4) {
    const at = Math.min(schedule.length, schedule.indexOf(originals[i]) + 1 + (i % 20));
    schedule.splice(at, 0, originals[i]);
  }
  if (schedule.length !== total) throw new Error(`burst schedule has ${schedule.length} deliveries`);
  const callsBefore = sfn.startCalls.length;
  const start = performance.now();
  const answers = await Promise.all(
    schedule.map(async (d, i) => {
      const due = start + (i * 1000) / total;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const res = await fetch(url, { method: 'POST', headers: d.headers, body: d.body });
      const json = (await res.json().catch(() => ({}))) as { executionArn?: string };
      return { status: res.status, executionArn: json.executionArn };
    }),
  );
  const wallMs = Math.round(performance.now() - start);
  const statuses: Record<string, number> = {};
  for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
  const burstExecutions = [...sfn.executions.keys()].filter((n) => /-p88\d{7}-/.test(n)).length;
  const distinct = new Set(answers.map((a) => a.executionArn).filter(Boolean)).size;
  return {
    deliveries: total,
    uniqueEvents: unique,
    redeliveries: total - unique,
    wallMs,
    statuses,
    executionsStarted: burstExecutions,
    startExecutionCalls: sfn.startCalls.length - callsBefore,
    distinctExecutionArnsAnswered: distinct,
    exact: burstExecutions === unique && distinct === unique,
  };
}
