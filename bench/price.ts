import type { ShipgateConfig } from '../lambdas/shared/config';
import { DEFAULT_STEP_MEMORY_MB, HTTP_MEMORY_MB, STEPS, type StepName } from '../lib/workflow/steps';
import type { MeterSnapshot } from '../sandbox/meter';

/**
 * The price of a release: what one sandbox release of one service through two environments used, priced at
 * AWS's published us-east-1 on-demand list prices, and the same month compared with CodePipeline V2 and
 * GitLab Premium seats for the approvers.
 *
 * PRICES, as published on the vendors' pricing pages and relied on here as of 2025-11 (this machine has no
 * internet; re-check the pages before quoting a figure; free tiers are left out on purpose, since a team's
 * other workloads may use them):
 * - AWS Step Functions, Standard workflows: $0.025 per 1,000 state transitions (aws.amazon.com/step-functions/pricing).
 * - AWS Lambda, Arm (the stack's functions are arm64): $0.20 per 1M requests and $0.0000133334 per GB-second,
 *   first tier (aws.amazon.com/lambda/pricing). Lambda bills the initialization phase of on-demand functions
 *   too since 2025-08-01, so a measured duration that includes the handler's loading is billed as measured.
 * - Amazon DynamoDB on-demand (since the 2024-11-01 reduction): $0.125 per 1M read request units and $0.625 per
 *   1M write request units (aws.amazon.com/dynamodb/pricing/on-demand).
 * - Amazon API Gateway HTTP APIs (the stack's WebhookApi is an HTTP API): $1.00 per 1M requests, first 300M a
 *   month, each 512 KB counted as one request (aws.amazon.com/api-gateway/pricing).
 * - Amazon EventBridge: events AWS services publish to the default bus (ECS deployment state changes, Step
 *   Functions execution status changes) are free; custom events $1.00 per 1M; EventBridge Scheduler $1.00
 *   per 1M invocations (aws.amazon.com/eventbridge/pricing).
 * - AWS CodePipeline V2: $0.002 per action execution minute (aws.amazon.com/codepipeline/pricing).
 * - GitLab Premium (deployment approvals, protected environments): $29 per user per month, billed annually
 *   (about.gitlab.com/pricing).
 */
export const PRICES = {
  asOf: '2025-11 (vendors’ published list prices, us-east-1; not fetched at run time)',
  stepFunctionsPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1e6,
  lambdaArmPerGbSecond: 0.0000133334,
  dynamoDbPerReadUnit: 0.125 / 1e6,
  dynamoDbPerWriteUnit: 0.625 / 1e6,
  httpApiPerRequest: 1.0 / 1e6,
  eventBridgeAwsServiceEvent: 0,
  eventBridgeSchedulerPerInvocation: 1.0 / 1e6,
  codePipelineV2PerActionMinute: 0.002,
  gitlabPremiumPerSeatMonth: 29,
} as const;

/** The team the month is priced for. */
export const TEAM = { services: 10, releasesPerServicePerDay: 20, daysPerMonth: 30 } as const;

/**
 * CodePipeline V2 action minutes of the same release (one service, staging then production), an estimate:
 * a source action (1 min), then per environment an ECS deploy action (6 min: a rolling or blue/green
 * deployment with its health checks, the typical wait of the ECS deploy action) and a test action (1 min)
 * running the smoke checks. The manual approval actions are left out (their wait is people, and counting
 * them would only make CodePipeline dearer). Inputs are here so the estimate can be argued with.
 */
export const CODEPIPELINE_ESTIMATE = {
  sourceMinutes: 1,
  deployMinutesPerEnvironment: 6,
  testMinutesPerEnvironment: 1,
} as const;

/** What one release used (counted in the sandbox). */
export interface ReleaseUsage {
  stateTransitions: number;
  lambda: { fn: string; invocations: number; billedMs: number; memoryMb: number; gbSeconds: number }[];
  dynamoDb: { readUnits: number; writeUnits: number; requests: number; estimated: number };
  apiRequests: number;
  events: Record<string, number>;
}

/** One priced line. */
export interface PriceLine {
  item: string;
  quantity: string;
  unitPrice: string;
  usd: number;
}

/** The price table. */
export interface ReleasePrice {
  pricesAsOf: string;
  usage: ReleaseUsage;
  perRelease: PriceLine[];
  perReleaseUsd: number;
  team: typeof TEAM & { releasesPerMonth: number };
  /** Shipgate's month: releases × per release, plus the reconciler's schedule. */
  month: PriceLine[];
  monthUsd: number;
  /** The alternatives, same month. */
  alternatives: PriceLine[];
}

/** Memory of a function by its bundle name, as the stack configures it. */
export function memoryOf(fn: string): number {
  if (fn === 'http') return HTTP_MEMORY_MB;
  return STEPS[fn as StepName]?.memorySize ?? DEFAULT_STEP_MEMORY_MB;
}

/** The usage between two meter snapshots, with the release's state transitions. */
export function usageBetween(
  before: MeterSnapshot,
  after: MeterSnapshot,
  stateTransitions: number,
): ReleaseUsage {
  const lambda = Object.entries(after.lambdas)
    .map(([fn, a]) => {
      const b = before.lambdas[fn] ?? { invocations: 0, ms: 0, billedMs: 0 };
      const billedMs = a.billedMs - b.billedMs;
      const memoryMb = memoryOf(fn);
      return {
        fn,
        invocations: a.invocations - b.invocations,
        billedMs,
        memoryMb,
        gbSeconds: (billedMs / 1000) * (memoryMb / 1024),
      };
    })
    .filter((l) => l.invocations > 0)
    .sort((x, y) => y.gbSeconds - x.gbSeconds);
  const events: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.events)) {
    const d = v - (before.events[k] ?? 0);
    if (d > 0) events[k] = d;
  }
  return {
    stateTransitions,
    lambda,
    dynamoDb: {
      readUnits: after.dynamoDb.readUnits - before.dynamoDb.readUnits,
      writeUnits: after.dynamoDb.writeUnits - before.dynamoDb.writeUnits,
      requests: after.dynamoDb.requests - before.dynamoDb.requests,
      estimated: after.dynamoDb.estimated - before.dynamoDb.estimated,
    },
    // Every HTTP API request is one invocation of the HTTP function.
    apiRequests: lambda.find((l) => l.fn === 'http')?.invocations ?? 0,
    events,
  };
}

const usd = (n: number) => `$${n < 0.01 ? n.toPrecision(3) : n.toFixed(2)}`;
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d });

/**
 * Prices a release and the team's month.
 * @param config the configuration (its approvers are the GitLab Premium seats; its environments the
 *   CodePipeline stages)
 * @param reconcileEveryMinutes the reconciler's schedule (EventBridge Scheduler), part of the month only
 */
export function priceRelease(
  usage: ReleaseUsage,
  config: Pick<ShipgateConfig, 'environments'> & { approvers?: Record<string, unknown> },
  reconcileEveryMinutes = 5,
): ReleasePrice {
  const invocations = usage.lambda.reduce((s, l) => s + l.invocations, 0);
  const gbSeconds = usage.lambda.reduce((s, l) => s + l.gbSeconds, 0);
  const events = Object.values(usage.events).reduce((s, n) => s + n, 0);
  const perRelease: PriceLine[] = [
    {
      item: 'Step Functions Standard state transitions',
      quantity: fmt(usage.stateTransitions),
      unitPrice: '$0.025 / 1,000',
      usd: usage.stateTransitions * PRICES.stepFunctionsPerTransition,
    },
    {
      item: 'Lambda requests',
      quantity: fmt(invocations),
      unitPrice: '$0.20 / 1M',
      usd: invocations * PRICES.lambdaPerRequest,
    },
    {
      item: 'Lambda duration (arm64, measured ms × configured memory)',
      quantity: `${fmt(gbSeconds, 2)} GB-s`,
      unitPrice: '$0.0000133334 / GB-s',
      usd: gbSeconds * PRICES.lambdaArmPerGbSecond,
    },
    {
      item: 'DynamoDB on-demand reads',
      quantity: `${fmt(usage.dynamoDb.readUnits, 1)} RRU`,
      unitPrice: '$0.125 / 1M RRU',
      usd: usage.dynamoDb.readUnits * PRICES.dynamoDbPerReadUnit,
    },
    {
      item: 'DynamoDB on-demand writes',
      quantity: `${fmt(usage.dynamoDb.writeUnits, 1)} WRU`,
      unitPrice: '$0.625 / 1M WRU',
      usd: usage.dynamoDb.writeUnits * PRICES.dynamoDbPerWriteUnit,
    },
    {
      item: 'API Gateway HTTP API requests',
      quantity: fmt(usage.apiRequests),
      unitPrice: '$1.00 / 1M',
      usd: usage.apiRequests * PRICES.httpApiPerRequest,
    },
    {
      item: 'EventBridge events (AWS service events on the default bus)',
      quantity: fmt(events),
      unitPrice: 'free',
      usd: events * PRICES.eventBridgeAwsServiceEvent,
    },
  ];
  const perReleaseUsd = perRelease.reduce((s, l) => s + l.usd, 0);
  const releasesPerMonth = TEAM.services * TEAM.releasesPerServicePerDay * TEAM.daysPerMonth;
  const reconciles = Math.round((TEAM.daysPerMonth * 24 * 60) / reconcileEveryMinutes);
  const month: PriceLine[] = [
    {
      item: `${fmt(releasesPerMonth)} releases`,
      quantity: `${fmt(releasesPerMonth)} × ${usd(perReleaseUsd)}`,
      unitPrice: 'per release, above',
      usd: releasesPerMonth * perReleaseUsd,
    },
    {
      item: `Reconciler (EventBridge Scheduler every ${reconcileEveryMinutes} min; its Lambda time not counted)`,
      quantity: fmt(reconciles),
      unitPrice: '$1.00 / 1M',
      usd: reconciles * PRICES.eventBridgeSchedulerPerInvocation,
    },
  ];
  const monthUsd = month.reduce((s, l) => s + l.usd, 0);
  const environments = config.environments.length;
  const minutes =
    CODEPIPELINE_ESTIMATE.sourceMinutes +
    environments *
      (CODEPIPELINE_ESTIMATE.deployMinutesPerEnvironment + CODEPIPELINE_ESTIMATE.testMinutesPerEnvironment);
  const approvers = Object.keys(config.approvers ?? {}).length;
  const alternatives: PriceLine[] = [
    {
      item: `CodePipeline V2: ${minutes} action minutes per release (source 1, per environment deploy ${CODEPIPELINE_ESTIMATE.deployMinutesPerEnvironment} + test ${CODEPIPELINE_ESTIMATE.testMinutesPerEnvironment}; approvals not counted)`,
      quantity: `${fmt(releasesPerMonth * minutes)} min`,
      unitPrice: '$0.002 / min',
      usd: releasesPerMonth * minutes * PRICES.codePipelineV2PerActionMinute,
    },
    {
      item: `GitLab Premium seats for the ${approvers} approvers of the config (deployment approvals need Premium)`,
      quantity: `${approvers} seats`,
      unitPrice: '$29 / seat / month',
      usd: approvers * PRICES.gitlabPremiumPerSeatMonth,
    },
  ];
  return {
    pricesAsOf: PRICES.asOf,
    usage,
    perRelease,
    perReleaseUsd,
    team: { ...TEAM, releasesPerMonth },
    month,
    monthUsd,
    alternatives,
  };
}

/** The price tables as Markdown. */
export function priceTables(p: ReleasePrice): string[] {
  const lines = [
    `Prices: us-east-1 list prices as of ${p.pricesAsOf}; sources and dates in bench/price.ts. Free tiers left out.`,
    '',
    '| per release (one service, staging → production) | quantity | unit price | USD |',
    '|---|---|---|---|',
    ...p.perRelease.map((l) => `| ${l.item} | ${l.quantity} | ${l.unitPrice} | ${usd(l.usd)} |`),
    `| **one release** | | | **${usd(p.perReleaseUsd)}** |`,
    '',
    `| month: ${p.team.services} services × ${p.team.releasesPerServicePerDay} releases a day × ${p.team.daysPerMonth} days | quantity | unit price | USD |`,
    '|---|---|---|---|',
    ...p.month.map((l) => `| ${l.item} | ${l.quantity} | ${l.unitPrice} | ${usd(l.usd)} |`),
    `| **Shipgate on AWS, a month** | | | **${usd(p.monthUsd)}** |`,
    ...p.alternatives.map((l) => `| ${l.item} | ${l.quantity} | ${l.unitPrice} | ${usd(l.usd)} |`),
    '',
    'Lambda per function in that release:',
    '',
    '| function | invocations | billed ms | memory MB | GB-s |',
    '|---|---|---|---|---|',
    ...p.usage.lambda.map(
      (l) => `| ${l.fn} | ${l.invocations} | ${fmt(l.billedMs)} | ${l.memoryMb} | ${fmt(l.gbSeconds, 3)} |`,
    ),
    '',
    `DynamoDB: ${p.usage.dynamoDb.requests} requests (${p.usage.dynamoDb.estimated} of them estimated: a failed conditional write counts 1 WRU, which dynalite does not report). EventBridge events: ${
      Object.entries(p.usage.events)
        .map(([k, v]) => `${v} × ${k}`)
        .join(', ') || 'none'
    }.`,
  ];
  return lines;
}
