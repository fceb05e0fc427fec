import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release as osRelease } from 'node:os';
import { join, resolve } from 'node:path';
import { benchBundles, type BundleResults } from './bundles';
import { benchDora, type DoraResults } from './dora';
import { benchSandboxRelease, type SandboxResults } from './sandbox-release';
import { benchScaling, type ScalingResults } from './scaling';
import { benchWebhook, type NotMeasured, type WebhookResults } from './webhook';
import { priceTables } from './price';

/**
 * `npm run bench`: measures Shipgate on this machine, on loopback, in one run, and writes `bench/results.json`
 * and `bench/results.md`. Parts that cannot run say why ("not measured: …"); nothing is estimated. See
 * bench/README.md for what each figure means.
 */

const HERE = resolve(__dirname);
const log = (line: string) => process.stdout.write(`${line}\n`);

type Part<T> = T | NotMeasured;

async function part<T>(name: string, fn: () => Promise<T>): Promise<Part<T>> {
  const t0 = performance.now();
  log(`${name} …`);
  try {
    const r = await fn();
    log(`${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return r;
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n').slice(0, 4).join(' ') : String(err);
    log(`${name}: not measured: ${reason}`);
    return { notMeasured: reason };
  }
}

const isMeasured = <T extends object>(p: Part<T>): p is T => !('notMeasured' in p);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

/** Where each goal stands (a statement with the measured figure, not pass/fail gating). */
function goals(
  w: Part<WebhookResults>,
  b: Part<BundleResults>,
  s: Part<SandboxResults>,
  c: Part<ScalingResults>,
): string[][] {
  const rows: string[][] = [];
  const mark = (ok: boolean) => (ok ? 'met' : 'not met');
  if (isMeasured(w)) {
    for (const [key, goal, test] of [
      [
        'shipgate/bare throughput, reject path',
        '≥ 0.60 of bare node:http (reject path)',
        (v: number) => v >= 0.6,
      ],
      [
        'shipgate/bare throughput, accept path (shipgate also writes DynamoDB and starts an execution)',
        '≥ 0.60 of bare node:http (accept path)',
        (v: number) => v >= 0.6,
      ],
      [
        'shipgate/adnanh-webhook throughput, reject path',
        'ahead of adnanh/webhook (reject path)',
        (v: number) => v > 1,
      ],
    ] as const) {
      const v = w.ratios[key];
      rows.push([
        goal,
        typeof v === 'number' ? `${v.toFixed(3)}×` : `not measured: ${v.notMeasured}`,
        typeof v === 'number' ? mark(test(v)) : '—',
      ]);
    }
    if (isMeasured(w.burst)) {
      rows.push([
        'burst: executions started = unique events',
        `${w.burst.executionsStarted} executions / ${w.burst.uniqueEvents} unique events (${w.burst.deliveries} deliveries)`,
        mark(w.burst.exact),
      ]);
    }
  } else rows.push(['webhook goals', `not measured: ${w.notMeasured}`, '—']);
  if (isMeasured(b)) {
    const http = b.bundles.find((x) => x.name === 'http');
    if (http) {
      rows.push([
        'http bundle ≤ 400 KB (AWS SDK inside)',
        `${fmt(http.bytes / 1024, 1)} KB`,
        mark(http.bytes <= 400 * 1024),
      ]);
      rows.push([
        'http bundle import median ≤ 100 ms',
        `${http.importMs} ms; an empty module ${b.emptyModuleImportMs} ms (${http.importVsEmpty}×)`,
        mark(http.importMs <= 100),
      ]);
    }
    const over = b.bundles.filter((x) => x.bytes > 500 * 1024);
    rows.push([
      'every bundle ≤ 500 KB',
      over.length === 0
        ? `largest ${fmt(Math.max(...b.bundles.map((x) => x.bytes)) / 1024, 1)} KB`
        : `${b.bundles.length - over.length}/${b.bundles.length} within; over: ${over
            .map((x) => `${x.name} ${fmt(x.bytes / 1024, 0)} KB`)
            .join(', ')}`,
      mark(over.length === 0),
    ]);
    const httpBare = b.sdkFromRuntime.find((x) => x.name === 'http');
    if (httpBare)
      rows.push([
        'what the byte goals cost: the http bundle with the runtime’s AWS SDK instead of its own',
        `${fmt(httpBare.runtimeBytes / 1024, 1)} KB, import ${httpBare.runtimeImportMs} ms (${fmt(httpBare.runtimeImportMs / httpBare.insideImportMs, 2)}× the ${httpBare.insideImportMs} ms of the SDK inside)`,
        'measured',
      ]);
    const failed = b.bundles.filter((x) => x.smoke !== 'ok');
    rows.push([
      'every bundle imports and exports handler',
      `${b.bundles.length - failed.length}/${b.bundles.length}`,
      mark(failed.length === 0),
    ]);
  } else rows.push(['bundle goals', `not measured: ${b.notMeasured}`, '—']);
  if (isMeasured(s)) {
    rows.push([
      'sandbox release ≤ 5 s plus configured waits',
      `${fmt(s.wallMs)} ms (${s.status}; waits: ${s.configuredWaits})`,
      s.status !== 'SUCCEEDED'
        ? 'not met (the release did not succeed)'
        : s.wallMs <= 5000
          ? 'met (within 5 s before subtracting any wait)'
          : 'over 5 s including the waits: subtract the configured waits listed (see README)',
    ]);
    rows.push([
      '≤ 100 state transitions per release',
      String(s.stateTransitions),
      mark(s.stateTransitions <= 100),
    ]);
    rows.push([
      'the price of a release, and of a month of 10 services × 20 releases a day',
      `$${s.price.perReleaseUsd.toFixed(5)} per release; $${s.price.monthUsd.toFixed(2)} a month (CodePipeline V2 $${s.price.alternatives[0].usd.toFixed(2)}, GitLab Premium approvers $${s.price.alternatives[1].usd.toFixed(2)})`,
      'measured',
    ]);
  } else rows.push(['sandbox goals', `not measured: ${s.notMeasured}`, '—']);
  if (isMeasured(c)) {
    const last = c.levels[c.levels.length - 1];
    const allCorrect = c.levels.every((l) => l.correct === l.releases.length);
    rows.push([
      'every release of every level ends in the right state',
      c.levels.map((l) => `${l.correct}/${l.releases.length}`).join(', '),
      mark(allCorrect),
    ]);
    rows.push([
      'no overlapping rollouts of one (service, environment) (emulator deployment log)',
      c.levels.map((l) => `${l.overlapping} of ${l.deployments}`).join(', '),
      mark(c.levels.every((l) => l.overlapping === 0)),
    ]);
    rows.push([
      `orchestration overhead per release at ${last?.concurrent} ≤ 2× at 1`,
      c.overheadRatio === undefined ? 'not measured' : `${c.overheadRatio}×`,
      c.overheadRatio === undefined ? '—' : mark(c.overheadRatio <= 2),
    ]);
  } else rows.push(['scaling goals', `not measured: ${c.notMeasured}`, '—']);
  return rows;
}

/** The scaling table (also quoted in the report of issue 22). */
export function scalingTable(c: ScalingResults): string[] {
  const lines = [
    '| concurrent releases | final states | correct | deployments / overlapping | state transitions per release (mean / max) | wall ms per release | emulated rollout ms | approval ms | queued behind a lock ms | overhead ms per release (mean / p95) | overhead × level 1 | sandbox CPU ms per release |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const base = c.levels.find((l) => l.concurrent === 1)?.perRelease.overheadMs;
  for (const l of c.levels) {
    const p = l.perRelease;
    lines.push(
      `| ${l.concurrent} | ${Object.entries(l.finalStates)
        .map(([k, v]) => `${v} ${k}`)
        .join(
          ', ',
        )} | ${l.correct}/${l.releases.length} | ${l.deployments} / ${l.overlapping} | ${l.transitionsPerRelease.mean} / ${l.transitionsPerRelease.max} | ${fmt(p.wallMs)} | ${fmt(p.rolloutMs)} | ${fmt(p.approvalMs)} | ${fmt(p.lockQueueMs)} | ${fmt(p.overheadMs)} / ${fmt(p.overheadP95Ms)} | ${base ? `${(p.overheadMs / base).toFixed(2)}×` : '—'} | ${l.cpuMsPerRelease ?? '—'} |`,
    );
  }
  return lines;
}

/** Goal rows of the DORA computation (issue 20): the 10k time and near-linear growth. */
function doraGoals(d: Part<DoraResults>): string[][] {
  if (!isMeasured(d)) return [['DORA figures from the ledger', `not measured: ${d.notMeasured}`, '—']];
  const ten = d.sizes.find((x) => x.entries === 10_000);
  const worst = Math.max(...Object.values(d.growth));
  return [
    [
      'DORA figures for 10,000 ledger entries: a measured time',
      ten ? `${ten.medianMs} ms` : 'not measured',
      ten ? 'met' : '—',
    ],
    [
      'DORA computation grows about linearly (≤ 15× per 10× entries)',
      Object.entries(d.growth)
        .map(([k, v]) => `${k}: ${v}×`)
        .join(', '),
      worst <= 15 ? 'met' : 'not met',
    ],
  ];
}

function markdown(results: {
  startedAt: string;
  machine: string;
  totalSec: number;
  webhook: Part<WebhookResults>;
  bundles: Part<BundleResults>;
  sandbox: Part<SandboxResults>;
  scaling: Part<ScalingResults>;
  dora: Part<DoraResults>;
  goals: string[][];
}): string {
  const lines: string[] = [];
  lines.push(`# Shipgate benchmark results`, '');
  lines.push(
    `Run ${results.startedAt} on ${results.machine}; ${results.totalSec} s in total. Loopback only.`,
    '',
  );
  lines.push('## Goals', '', '| goal | measured | status |', '|---|---|---|');
  for (const r of results.goals) lines.push(`| ${r.join(' | ')} |`);
  const w = results.webhook;
  lines.push('', '## Webhook ingest', '');
  if (isMeasured(w)) {
    lines.push(`Load generator: ${w.loadGenerator}.`, '');
    lines.push(
      '| server | path | req/s | p50 ms | p99 ms | answers as expected | other |',
      '|---|---|---|---|---|---|---|',
    );
    for (const r of w.runs) {
      if ('notMeasured' in r.result)
        lines.push(`| ${r.server} | ${r.path} | not measured: ${r.result.notMeasured} | | | | |`);
      else
        lines.push(
          `| ${r.server} | ${r.path} | ${fmt(r.result.requestsPerSec)} | ${r.result.p50Ms.toFixed(2)} | ${r.result.p99Ms.toFixed(2)} | ${r.result.expected} × ${r.result.expectedStatus} | ${r.result.unexpected} |`,
        );
    }
    const byRun = new Map<string, number[]>();
    for (const r of w.rounds)
      byRun.set(`${r.server}, ${r.path}`, [...(byRun.get(`${r.server}, ${r.path}`) ?? []), r.requestsPerSec]);
    lines.push(
      '',
      `Every round's req/s: ${[...byRun.entries()].map(([k, v]) => `${k} ${v.map((x) => fmt(x)).join(' / ')}`).join('; ')}.`,
    );
    lines.push('', '| ratio | value |', '|---|---|');
    for (const [k, v] of Object.entries(w.ratios)) {
      lines.push(
        `| ${k} | ${typeof v === 'number' ? `${v.toFixed(3)}×` : `not measured: ${v.notMeasured}`} |`,
      );
    }
    if (w.acceptRunExecutions) {
      const a = w.acceptRunExecutions;
      lines.push(
        '',
        `Accept run: ${a.answered202} answers 202 counted by the load generator, ${a.executionsCreated} executions created by the Step Functions stand-in (${a.startExecutionCalls} StartExecution calls; requests still in flight when the run ended are not counted as answers).`,
      );
    }
    if (w.diagnostics.length) {
      lines.push(
        '',
        'Where the reject path goes (one run each, same load):',
        '',
        '| diagnostic | req/s | p99 ms | × bare node:http reject |',
        '|---|---|---|---|',
      );
      for (const d of w.diagnostics) {
        lines.push(
          `| ${d.label} | ${fmt(d.requestsPerSec)} | ${d.p99Ms.toFixed(2)} | ${d.vsBareReject.toFixed(3)} |`,
        );
      }
    }
    lines.push('', '### Burst', '');
    if (isMeasured(w.burst)) {
      const x = w.burst;
      lines.push(
        '| deliveries | unique events | redeliveries | executions started | StartExecution calls | distinct executionArn answered | statuses | all answered after | exact |',
        '|---|---|---|---|---|---|---|---|---|',
        `| ${x.deliveries} | ${x.uniqueEvents} | ${x.redeliveries} | ${x.executionsStarted} | ${x.startExecutionCalls} | ${x.distinctExecutionArnsAnswered} | ${Object.entries(
          x.statuses,
        )
          .map(([k, v]) => `${v}×${k}`)
          .join(', ')} | ${fmt(x.wallMs)} ms | ${x.exact ? 'yes' : 'NO'} |`,
      );
    } else lines.push(`not measured: ${w.burst.notMeasured}`);
  } else lines.push(`not measured: ${w.notMeasured}`);
  const b = results.bundles;
  lines.push('', '## Lambda bundles', '');
  if (isMeasured(b)) {
    lines.push(
      `esbuild ${b.esbuild}; ${b.options}. Import = median of ${b.runsPerImport} fresh \`node\` processes; an empty module takes ${b.emptyModuleImportMs} ms.`,
      '',
      '| Lambda | bytes | import ms | × empty module | smoke import |',
      '|---|---|---|---|---|',
    );
    for (const x of b.bundles)
      lines.push(`| ${x.name} | ${fmt(x.bytes)} | ${x.importMs} | ${x.importVsEmpty} | ${x.smoke} |`);
    lines.push(
      '',
      `Build of all ${b.bundles.length} bundles: ${b.buildSeconds.cold} s from scratch, ${b.buildSeconds.cached} s from the cache (what \`npm start\` pays after the first run).`,
      '',
      'What the webhook bundle (AWS SDK inside) is made of:',
      '',
      '| package | bytes |',
      '|---|---|',
    );
    for (const c of b.httpComposition) lines.push(`| ${c.module} | ${fmt(c.bytes)} |`);
    lines.push(
      '',
      '### The SDK inside, or the runtime’s',
      '',
      b.sdkFromRuntime.length === 0
        ? 'not measured (the run’s log says why)'
        : `The same entry points built with ${'`'}@aws-sdk/*${'`'}, ${'`'}@smithy/*${'`'} and ${'`'}@aws-crypto/*${'`'} external, and imported with ${'`'}NODE_PATH${'`'} pointing at node_modules, as a function without a bundled SDK loads the Lambda runtime’s. Imports alternate between the two builds run by run; medians of ${b.runsPerImport}.`,
    );
    if (b.sdkFromRuntime.length > 0)
      lines.push(
        '',
        '| Lambda | SDK inside: KB | import ms | runtime’s SDK: KB | import ms | import, runtime’s ÷ inside |',
        '|---|---|---|---|---|---|',
      );
    for (const x of b.sdkFromRuntime)
      lines.push(
        `| ${x.name} | ${fmt(x.insideBytes / 1024, 1)} | ${x.insideImportMs} | ${fmt(x.runtimeBytes / 1024, 1)} | ${x.runtimeImportMs} | ${fmt(x.runtimeImportMs / x.insideImportMs, 2)}× |`,
      );
    lines.push(
      '',
      '### Before and after issue 32: what left each bundle',
      '',
      'Before: the commit before issue 32’s bundle work (bench/bundles-before.json, measured once on this machine). What left: the packages whose bytes in the bundle fell by 2 KB or more (esbuild metafile), and what grew.',
      '',
      '| Lambda | before KB | after KB | before import ms | after import ms | what left (and what came) |',
      '|---|---|---|---|---|---|',
    );
    for (const v of b.versusBefore) {
      lines.push(
        `| ${v.name} | ${v.beforeBytes === undefined ? '—' : fmt(v.beforeBytes / 1024, 1)} | ${fmt(v.bytes / 1024, 1)} | ${v.beforeImportMs ?? '—'} | ${v.importMs} | ${v.left} |`,
      );
    }
  } else lines.push(`not measured: ${b.notMeasured}`);
  const s = results.sandbox;
  lines.push('', '## Sandbox release', '');
  if (isMeasured(s)) {
    lines.push(
      '| environments | status | wall ms | of which approving | state transitions | history events | votes | sandbox start ms |',
      '|---|---|---|---|---|---|---|---|',
      `| ${s.environments.join(' → ')} | ${s.status} | ${fmt(s.wallMs)} | ${fmt(s.approvalMs)} | ${s.stateTransitions} | ${s.historyEvents} | ${Object.entries(
        s.votes,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')} | ${fmt(s.startupMs)} |`,
      '',
      `Configured waits: ${s.configuredWaits}.`,
    );
  } else lines.push(`not measured: ${s.notMeasured}`);
  lines.push('', '## The price of a release', '');
  if (isMeasured(s)) {
    lines.push(
      'What the sandbox release above used, counted by the sandbox (`GET /_sandbox/api/meter`, sandbox/meter.ts): Lambda invocations and measured durations × each function’s configured memory, DynamoDB units as dynalite reports them (`ConsumedCapacity`), HTTP API requests (the bench’s webhook and its approvers’ page loads, sign-ins and votes), EventBridge events delivered to the rules; state transitions from the execution history.',
      '',
      ...priceTables(s.price),
    );
  } else lines.push(`not measured: ${s.notMeasured}`);
  const c = results.scaling;
  lines.push('', '## Scaling: concurrent releases', '');
  if (isMeasured(c)) {
    lines.push(
      `Each level in a fresh sandbox after one warm-up release; releases spread round-robin over the three services, pipelines of one service finishing one second apart (newer = later); approvals given as soon as the links appear; emulated rollout phase ${c.phaseMs} ms. Overhead = wall time − emulated rollout (the ECS emulator's deployment log) − approval (links visible → quorum) − lock-queue pauses (the workflow's RolloutLocked retries).`,
      '',
      ...scalingTable(c),
      '',
      'Mean time per release in each state (ms), largest first:',
      '',
    );
    for (const l of c.levels) {
      lines.push(
        `- ${l.concurrent}: ${Object.entries(l.stateMs)
          .slice(0, 8)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', ')}`,
      );
    }
    const notes = c.levels.flatMap((l) => l.notes.map((n) => `${l.concurrent}: ${n}`));
    if (notes.length) lines.push('', 'Notes:', '', ...notes.map((n) => `- ${n}`));
  } else lines.push(`not measured: ${c.notMeasured}`);
  const d = results.dora;
  lines.push('', '## DORA figures from the ledger', '');
  if (isMeasured(d)) {
    lines.push(
      '`computeDora` over generated ledgers (90-day window, one environment, three services, daily and weekly buckets; ~8% failed deployments with their rollback entries, 1–5 commits per deployment), median of the timed runs after a warm-up.',
      '',
      '| entries | median ms | runs | µs per entry |',
      '|---|---|---|---|',
      ...d.sizes.map((x) => `| ${fmt(x.entries)} | ${x.medianMs} | ${x.runs} | ${x.usPerEntry} |`),
      '',
      `Growth per 10× entries: ${Object.entries(d.growth)
        .map(([k, v]) => `${k} = ${v}×`)
        .join(', ')} (10× = linear).`,
    );
  } else lines.push(`not measured: ${d.notMeasured}`);
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const workDir = join(HERE, '.tmp', `run-${Date.now()}`);
  mkdirSync(workDir, { recursive: true });
  const quick = process.argv.includes('--quick');
  // `--only=scaling` (or webhook, bundles, sandbox, dora) runs one part; the others are reported as skipped.
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const skip = <T>(name: string, fn: () => Promise<T>): Promise<Part<T>> =>
    only && only !== name ? Promise.resolve({ notMeasured: `skipped (--only=${only})` }) : part(name, fn);
  try {
    const webhook = await skip('webhook', () =>
      benchWebhook(workDir, { durationSec: quick ? 2 : 5, connections: 16, maxRequests: 50_000 }, log));
    const bundles = await skip('bundles', () => benchBundles(workDir, quick ? 3 : 5, log));
    const sandbox = await skip('sandbox', () => benchSandboxRelease(workDir, log));
    const scaling = await skip('scaling', () => benchScaling(workDir, quick ? [1, 10] : [1, 10, 50], log));
    const dora = await skip('dora', () => benchDora([1_000, 10_000, 100_000], log));
    const totalSec = Math.round((performance.now() - t0) / 1000);
    const machine = `${cpus().length}× ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${osRelease()}, Node ${process.version}`;
    const results = {
      startedAt,
      machine,
      totalSec,
      webhook,
      bundles,
      sandbox,
      scaling,
      dora,
      goals: [...goals(webhook, bundles, sandbox, scaling), ...doraGoals(dora)],
    };
    writeFileSync(join(HERE, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(HERE, 'results.md'), markdown(results));
    log(`\nWrote bench/results.json and bench/results.md (${totalSec} s).\n`);
    log(markdown(results));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
