import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { DescribeServiceDeploymentsCommand, StopServiceDeploymentCommand } from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { announceDeps } from '../../../lambdas/domain/outcomes/announce';
import {
  requestManualRollback,
  settleManualRollbackFromEvent,
  startManualRollback,
  type ManualRollbackDeps,
} from '../../../lambdas/domain/rollback/manual';
import { getRollback } from '../../../lambdas/domain/rollback/store';
import { handleDeploymentEvent } from '../../../lambdas/domain/rollout/events';
import { readLock } from '../../../lambdas/domain/rollout/lock';
import { getDeployed, getRecord, markVerified } from '../../../lambdas/domain/rollout/records';
import { runRolloutTask, startRollout } from '../../../lambdas/domain/rollout/start';
import { verifyTestTraffic } from '../../../lambdas/domain/verify/test-traffic';
import type { ResolvedImage } from '../../../lambdas/shared/release';
import { startRolloutBed, type RolloutBed } from './ecs-bed';
import { makeRelease, testConfig, token } from './harness';

/**
 * A CANARY (10 %, 5-minute bake) rolled out and rolled back by the real rollout domain against the sandbox's
 * ECS emulator (real SDK clients over the AWS JSON protocol, events delivered to rollout-events as
 * EventBridge would). ECS invokes the real verify hook at POST_TEST_TRAFFIC_SHIFT against a test listener
 * served here. Only Step Functions is mocked, to see what each waiting task receives.
 */

const EXEC = 'arn:aws:states:us-east-1:000000000000:execution:shipgate-release:canary-test';
const TABLE = 'shipgate-canary-sandbox-test';
const PHASE_MS = 20;
const CLUSTER = 'shipgate-production';

/** The test listener: 503 while `testTrafficHealthy` is false. */
let testTrafficHealthy = true;
let smokeServer: Server;
let smokeBase = '';

beforeAll(async () => {
  process.env.SHIPGATE_VERIFY_HOOK_ARNS = JSON.stringify({
    staging: 'arn:aws:lambda:us-east-1:000000000000:function:shipgate-verify-hook-staging',
    production: 'arn:aws:lambda:us-east-1:000000000000:function:shipgate-verify-hook-production',
  });
  process.env.SHIPGATE_VERIFY_HOOK_ROLE_ARN = 'arn:aws:iam::000000000000:role/shipgate-ecs-lifecycle-hooks';
  smokeServer = createServer((_req, res) => res.writeHead(testTrafficHealthy ? 200 : 503).end());
  await new Promise<void>((r) => smokeServer.listen(0, '127.0.0.1', r));
  smokeBase = `http://127.0.0.1:${(smokeServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  delete process.env.SHIPGATE_VERIFY_HOOK_ARNS;
  delete process.env.SHIPGATE_VERIFY_HOOK_ROLE_ARN;
  smokeServer.closeAllConnections();
  await new Promise<void>((r) => smokeServer.close(() => r()));
});

/** The rollout bed, with what the manual rollback runs with (its chat messages land in `chat`). */
interface Sandbox extends RolloutBed {
  manual: ManualRollbackDeps;
  chat: string[];
}

async function startSandbox(): Promise<Sandbox> {
  const config = testConfig({
    services: {
      storefront: {
        repository: 'storefront',
        environments: { production: { strategy: 'CANARY', canaryPercent: 10, bakeTime: '5m' } },
      },
      // ECS's default LINEAR (10 % steps, 6-minute step bake, 5-minute bake): about an hour.
      cart: { repository: 'cart', environments: { production: { strategy: 'LINEAR' } } },
      // A CANARY with bakes longer than any Lambda may run (20 + 20 configured minutes) and a pause before
      // each production traffic step that nobody decides (it continues after its minute).
      checkout: {
        repository: 'checkout',
        environments: {
          production: {
            strategy: 'CANARY',
            canaryPercent: 10,
            bakeTime: '20m',
            pauses: [
              {
                at: 'PRE_PRODUCTION_TRAFFIC_SHIFT',
                approvers: ['ada'],
                timeout: '1m',
                onTimeout: 'CONTINUE',
              },
            ],
          },
        },
      },
    },
    projects: [{ path: 'shop/storefront', services: ['storefront', 'cart', 'checkout'] }],
    rollout: { timeout: '2h', eventGrace: '5m', maxConcurrency: 2, lockLease: '4h' },
  });
  const wired: { manual?: ManualRollbackDeps } = {};
  const bed = await startRolloutBed({
    config,
    executionArn: EXEC,
    phaseMs: PHASE_MS,
    table: TABLE,
    smokeBase,
    // rollout-events settles a manual rollback in flight on the service first, else the release waiting on it.
    deliver: async (event, deps) => {
      if (!wired.manual) return undefined;
      const manual = await settleManualRollbackFromEvent(event, wired.manual);
      return manual ? undefined : handleDeploymentEvent(event, deps);
    },
  });
  const { deps } = bed;
  const chat: string[] = [];
  wired.manual = {
    rollout: deps,
    announce: announceDeps({
      config,
      ddb: deps.ddb,
      table: TABLE,
      now: deps.now,
      getSecret: async (name) => (name === 'chatWebhookUrl' ? 'https://chat.example.test/hook' : undefined),
      fetch: (async (_url: string, init: { body: string }) => {
        chat.push((JSON.parse(init.body) as { text: string }).text);
        return new Response('ok');
      }) as unknown as typeof fetch,
      env: { SHIPGATE_PUBLIC_URL: 'https://shipgate.example.test' },
    }),
  };
  // ECS invokes the verify hook as a Lambda at POST_TEST_TRAFFIC_SHIFT.
  bed.emulators.ecs.setHookInvoker((_arn, payload) =>
    verifyTestTraffic(payload, { ...deps, fetch: globalThis.fetch, sleep: async () => undefined }),
  );
  return Object.assign(bed, { manual: wired.manual, chat });
}

let sb: Sandbox;
beforeEach(async () => {
  testTrafficHealthy = true;
  sb = await startSandbox();
});
afterEach(() => sb.close());

/** Production may only take what passed staging: record that it did. */
async function passedStaging(image: ResolvedImage, release: ReturnType<typeof makeRelease>) {
  const { recordDeployed } = await import('../../../lambdas/domain/rollout/records');
  const now = new Date().toISOString();
  await recordDeployed(
    'staging',
    image.service,
    {
      releaseId: release.id,
      createdAt: release.createdAt,
      digest: image.digest,
      imageUri: image.imageUri,
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/staging-storefront:9',
      deployedAt: now,
    },
    sb.deps,
  );
  await markVerified('staging', image.service, release.id, now, sb.deps);
}

const stopped = () => sb.sfn.commandCalls(SendTaskFailureCommand).map((c) => c.args[0].input);
const succeeded = () => sb.sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input);
const runningTd = () => sb.emulators.ecs.findService(CLUSTER, 'storefront')!.taskDefinition;

async function rollOut(salt: string, annotations: Record<string, string> = {}, service = 'storefront') {
  const release = makeRelease({ id: `rel-${salt}` });
  const image = sb.push(service, salt, annotations);
  await passedStaging(image, release);
  const started = await runRolloutTask(
    { taskToken: token(salt), executionArn: EXEC, environment: 'production', release, image },
    startRollout,
    sb.deps,
  );
  expect(started.status).toBe('STARTED');
  return { release, image };
}

async function waitFor(what: () => boolean | Promise<boolean>, limitMs = 6000) {
  const t0 = Date.now();
  while (!(await what())) {
    if (Date.now() - t0 > limitMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const serviceDeployment = async () => {
  const record = await getRecord(CLUSTER, 'storefront', sb.deps);
  const out = await sb.deps.ecs.send(
    new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [record!.serviceDeploymentArn!] }),
  );
  return out.serviceDeployments![0];
};

test('a CANARY release reaches 100 % through its stages, bakes the scaled time, and completes', async () => {
  const before = runningTd();
  const t0 = Date.now();
  await rollOut('good');
  const stages = new Set<string>();
  await waitFor(async () => {
    const sd = await serviceDeployment();
    stages.add(`${sd.lifecycleStage} ${sd.targetServiceRevision?.requestedProductionTrafficWeight}`);
    return succeeded().length > 0;
  });
  // canaryBakeTime 5 min + bakeTime 5 min, each minute lasting PHASE_MS.
  expect(Date.now() - t0).toBeGreaterThanOrEqual(10 * PHASE_MS);
  expect([...stages]).toEqual(
    expect.arrayContaining(['PRODUCTION_TRAFFIC_SHIFT 10', 'BAKE_TIME 100', 'CLEAN_UP 100']),
  );
  expect(JSON.parse(succeeded()[0].output!)).toMatchObject({ strategy: 'CANARY', status: 'COMPLETED' });
  expect(runningTd()).not.toBe(before);
  expect(await readLock('production', 'storefront', sb.deps)).toBeUndefined();
});

test('a CANARY failing its test-traffic smoke check is rolled back by ECS before production traffic: VerifyFailed', async () => {
  const before = runningTd();
  testTrafficHealthy = false;
  await rollOut('sick');
  await waitFor(() => stopped().length > 0);
  expect(stopped()[0]).toMatchObject({ error: 'VerifyFailed' });
  expect(stopped()[0].cause).toMatch(
    /smoke check on test traffic failed at POST_TEST_TRAFFIC_SHIFT.*test listener.*503/,
  );
  const sd = await serviceDeployment();
  expect(sd.status).toBe('ROLLBACK_SUCCESSFUL');
  expect(sd.lifecycleStage).toBe('POST_TEST_TRAFFIC_SHIFT');
  expect(runningTd()).toBe(before);
  expect(await readLock('production', 'storefront', sb.deps)).toBeUndefined();
});

test('an operator stop-service-deployment ROLLBACK mid-bake fails the release "rolled back outside Shipgate"; lock held until ECS settled', async () => {
  const before = runningTd();
  await rollOut('outside');
  await waitFor(
    async () => (await serviceDeployment()).targetServiceRevision?.requestedProductionTrafficWeight === 10,
  );
  const arn = (await serviceDeployment()).serviceDeploymentArn!;
  await sb.deps.ecs.send(
    new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }),
  );
  // ECS is still rolling back: nothing settled, the lock is still held.
  expect(stopped()).toHaveLength(0);
  expect(await readLock('production', 'storefront', sb.deps)).toBeDefined();
  await waitFor(() => stopped().length > 0);
  expect(stopped()[0]).toMatchObject({ error: 'RolloutFailed' });
  expect(stopped()[0].cause).toContain('rolled back outside Shipgate');
  expect(succeeded()).toHaveLength(0);
  expect((await serviceDeployment()).status).toBe('ROLLBACK_SUCCESSFUL');
  expect(runningTd()).toBe(before);
  expect(await readLock('production', 'storefront', sb.deps)).toBeUndefined();
});

test('rolling back a completed 5-minute-bake CANARY waits on a token, not in a Lambda, and is recorded', async () => {
  const before = runningTd();
  const { release, image } = await rollOut('done');
  await waitFor(() => succeeded().length > 0);
  expect((await getDeployed('production', 'storefront', sb.deps))!.history[0].releaseId).toBe(release.id);
  const result = await sb.rollBack(token('rb'), 'production', { release, image }, 'VerifyFailed');
  expect(result).toMatchObject({ status: 'WAITING' });
  // The Lambda returned with the rollback still in flight (WAITING): the token waits, not the Lambda.
  expect(await readLock('production', 'storefront', sb.deps)).toBeDefined();
  await waitFor(() => succeeded().some((s) => s.taskToken === token('rb')));
  const out = JSON.parse(succeeded().find((s) => s.taskToken === token('rb'))!.output!);
  expect(out).toMatchObject({ service: 'storefront', rolledBack: { to: before, by: 'shipgate' } });
  expect(runningTd()).toBe(before);
  expect(
    (await getDeployed('production', 'storefront', sb.deps))!.history.map((e) => e.releaseId),
  ).not.toContain(release.id);
  expect((await getRecord(CLUSTER, 'storefront', sb.deps))!.status).toBe('ROLLED_BACK');
  expect(await readLock('production', 'storefront', sb.deps)).toBeUndefined();
});

test('rolling back a CANARY still in flight stops its service deployment with ROLLBACK', async () => {
  const before = runningTd();
  const { release, image } = await rollOut('inflight');
  await waitFor(
    async () => (await serviceDeployment()).targetServiceRevision?.requestedProductionTrafficWeight === 10,
  );
  const result = await sb.rollBack(token('rb2'), 'production', { release, image }, null);
  expect(result).toMatchObject({ status: 'WAITING' });
  expect((await serviceDeployment()).status).toMatch(/^ROLLBACK_/);
  await waitFor(() => succeeded().some((s) => s.taskToken === token('rb2')));
  expect(JSON.parse(succeeded().find((s) => s.taskToken === token('rb2'))!.output!)).toMatchObject({
    rolledBack: { to: before, by: 'shipgate' },
  });
  expect((await serviceDeployment()).status).toBe('ROLLBACK_SUCCESSFUL');
  expect(runningTd()).toBe(before);
  expect(await readLock('production', 'storefront', sb.deps)).toBeUndefined();
});

/** The AWS CLI against the emulated endpoint, as an operator would run it. */
async function aws(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(
    'aws',
    ['--endpoint-url', sb.endpoint, '--region', 'us-east-1', '--output', 'json', ...args],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_ACCESS_KEY_ID: 'sandbox',
        AWS_SECRET_ACCESS_KEY: 'sandbox',
        AWS_PAGER: '',
      },
    },
  );
  return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
}

type CliServiceDeployment = {
  status: string;
  serviceDeploymentArn: string;
  deploymentConfiguration: {
    strategy?: string;
    bakeTimeInMinutes?: number;
    canaryConfiguration?: unknown;
    linearConfiguration?: unknown;
    lifecycleHooks?: { targetType?: string; hookTargetArn?: string }[];
  };
  lifecycleHookDetails?: { targetType: string; status: string }[];
};
const describeWithCli = async (arn: string) =>
  (
    (await aws(['ecs', 'describe-service-deployments', '--service-deployment-arns', arn])) as {
      serviceDeployments: CliServiceDeployment[];
    }
  ).serviceDeployments[0];
/** What an operator runs to redeploy `service` as it is: the ARN of the service deployment it started. */
const forceNewDeploymentWithCli = async (service: string) =>
  (
    (await aws([
      'ecs',
      'update-service',
      '--cluster',
      CLUSTER,
      '--service',
      service,
      '--force-new-deployment',
    ])) as { service: { currentServiceDeployment: string } }
  ).service.currentServiceDeployment;
const checkoutRecord = () => getRecord(CLUSTER, 'checkout', sb.deps);
/**
 * Whether ECS ran a service deployment with all production traffic at once and no wait at all (no canary or
 * linear step, no bake): the steps the emulator planned from its deployment configuration. (Whether
 * UpdateService keeps a canaryConfiguration it was not sent is not documented; under BLUE_GREEN it is unused.)
 */
const allAtOnce = (arn: string) => {
  const plan = sb.emulators.ecs.serviceDeployments().find((d) => d.arn === arn)!.plan;
  return (
    plan.every((step) => step.kind !== 'wait' || step.minutes === 0) &&
    plan
      .filter((step) => step.kind === 'production-traffic')
      .map((step) => step.percent)
      .join() === '100'
  );
};
const paused = () => sb.handled.filter((h) => h.action === 'paused');

test('Verify fails after a completed CANARY with pauses: the rollback has no pause and no bake, nobody is asked, the old digest serves; an operator force-new-deployment afterwards does not pause', async () => {
  // GIVEN a CANARY with pauses (40 configured minutes of bakes) that completed
  const service = () => sb.emulators.ecs.findService(CLUSTER, 'checkout')!;
  const before = service().taskDefinition;
  const { release, image } = await rollOut('paused', {}, 'checkout');
  await waitFor(async () => (await checkoutRecord())?.status === 'COMPLETED', 15000);
  // (Settled: the lock goes once the per-deployment settings are off the service.)
  await waitFor(async () => (await readLock('production', 'checkout', sb.deps)) === undefined);
  // ECS paused it before each of its two production traffic steps (nobody decided: each continued after its
  // minute)…
  const release1 = (await checkoutRecord())!.serviceDeploymentArn!;
  const rollout = (
    await sb.deps.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [release1] }))
  ).serviceDeployments![0];
  expect(rollout.lifecycleHookDetails?.filter((h) => h.targetType === 'PAUSE')).toEqual([
    expect.objectContaining({ status: 'TIMED_OUT', timeoutAction: 'CONTINUE' }),
    expect.objectContaining({ status: 'TIMED_OUT', timeoutAction: 'CONTINUE' }),
  ]);
  // …and once it ended, its PAUSE hooks are off the service (the verify hook stays: it waits for nobody)
  const hooks = (service().deploymentConfiguration.lifecycleHooks ?? []) as { targetType?: string }[];
  expect(hooks.filter((h) => h.targetType === 'PAUSE')).toEqual([]);
  expect(hooks).toHaveLength(1);
  sb.handled.length = 0;
  sb.sfn.resetHistory();

  // WHEN "Verify production" fails and the release rolls back
  const result = await sb.rollBack(token('rb-checkout'), 'production', { release, image }, 'VerifyFailed');
  expect(result).toMatchObject({ status: 'WAITING' });
  await waitFor(() => succeeded().some((s) => s.taskToken === token('rb-checkout')), 15000);

  // THEN the rollback service deployment, read with the AWS CLI, had no PAUSE hook, no canary and no bake…
  const rollbackArn = (await checkoutRecord())!.rollback!.serviceDeploymentArn!;
  expect(rollbackArn).not.toBe((await checkoutRecord())!.serviceDeploymentArn);
  const rb = await describeWithCli(rollbackArn);
  expect(rb.status).toBe('SUCCESSFUL');
  expect(rb.deploymentConfiguration).toMatchObject({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0 });
  expect(rb.deploymentConfiguration.lifecycleHooks ?? []).toEqual([]);
  expect(allAtOnce(rollbackArn)).toBe(true);
  // …nobody was asked (no hook ran, no pause event), and the old digest serves again
  expect(rb.lifecycleHookDetails ?? []).toEqual([]);
  expect(paused()).toEqual([]);
  expect(sb.sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
  expect(service().taskDefinition).toBe(before);
  expect(sb.emulators.ecs.runningTaskDefinition(CLUSTER, 'checkout')!.arn).toBe(before);
  expect(await readLock('production', 'checkout', sb.deps)).toBeUndefined();

  // WHEN an operator forces a new deployment afterwards
  const arn = await forceNewDeploymentWithCli('checkout');
  // THEN it runs to the end without stopping at any pause
  expect(arn).not.toBe(rollbackArn);
  let seen: CliServiceDeployment | undefined;
  await waitFor(async () => {
    seen = await describeWithCli(arn);
    return seen.status === 'SUCCESSFUL';
  }, 15000);
  expect(seen!.lifecycleHookDetails?.filter((h) => h.targetType === 'PAUSE') ?? []).toEqual([]);
  expect(paused()).toEqual([]);
});

test('an operator force-new-deployment right after a completed rollout with pauses does not pause, and the verify hook lets it through', async () => {
  await rollOut('op', {}, 'checkout');
  await waitFor(async () => (await checkoutRecord())?.status === 'COMPLETED', 15000);
  await waitFor(async () => (await readLock('production', 'checkout', sb.deps)) === undefined);
  sb.handled.length = 0;
  const arn = await forceNewDeploymentWithCli('checkout');
  let seen: CliServiceDeployment | undefined;
  await waitFor(async () => {
    seen = await describeWithCli(arn);
    return seen.status === 'SUCCESSFUL' || seen.status.startsWith('ROLLBACK');
  }, 15000);
  expect(seen!.status).toBe('SUCCESSFUL');
  // The verify hook ran and answered SUCCEEDED at once (not Shipgate's deployment); no PAUSE hook was there.
  expect(seen!.lifecycleHookDetails).toEqual([
    {
      hookId: expect.any(String),
      targetType: 'AWS_LAMBDA',
      targetArn: 'arn:aws:lambda:us-east-1:000000000000:function:shipgate-verify-hook-production',
      status: 'SUCCEEDED',
    },
  ]);
  expect(paused()).toEqual([]);
});

test('manual rollback of a CANARY with 40 configured minutes of bakes: the Lambda starts it and returns, the ending event records it, frees the lock and tells chat', async () => {
  // GIVEN two completed releases of checkout (CANARY, canary bake 20m + bake 20m, pauses)
  const service = () => sb.emulators.ecs.findService(CLUSTER, 'checkout')!;
  await rollOut('first', {}, 'checkout');
  await waitFor(async () => (await readLock('production', 'checkout', sb.deps)) === undefined, 15000);
  await waitFor(async () => (await checkoutRecord())?.status === 'COMPLETED', 15000);
  const first = service().taskDefinition;
  await rollOut('second', {}, 'checkout');
  await waitFor(async () => (await checkoutRecord())?.releaseId === 'rel-second', 15000);
  await waitFor(async () => (await checkoutRecord())?.status === 'COMPLETED', 15000);
  await waitFor(async () => (await readLock('production', 'checkout', sb.deps)) === undefined, 15000);
  sb.handled.length = 0;
  sb.sfn.resetHistory();

  // WHEN someone asks to roll it back, and the rollback state machine's first task runs
  const entry = await requestManualRollback(
    { service: 'checkout', environment: 'production', by: 'ada', reason: 'p99 doubled' },
    { rollout: sb.deps },
  );
  const started = await startManualRollback(
    entry.id,
    { taskToken: token('manual'), executionArn: `${EXEC}-manual` },
    sb.manual,
  );
  // THEN the Lambda returned with the rollback in flight (its task waits for the token), under the lock
  expect(started).toEqual({ rollbackId: entry.id, status: 'ROLLING_BACK', settled: false });
  expect((await readLock('production', 'checkout', sb.deps))?.owner).toBe(`manual-rollback:ada:${entry.id}`);
  // AND the deployment event that ends it resumes the token with the recorded outcome
  await waitFor(() => succeeded().some((s) => s.taskToken === token('manual')), 15000);
  expect(JSON.parse(succeeded().find((s) => s.taskToken === token('manual'))!.output!)).toEqual({
    rollbackId: entry.id,
    status: 'ROLLED_BACK',
    settled: true,
  });
  const done = (await getRollback(entry.id, { ddb: sb.deps.ddb, table: TABLE }))!;
  expect(done).toMatchObject({
    status: 'ROLLED_BACK',
    strategy: 'CANARY',
    notified: { chat: expect.any(String) },
  });
  // The rollback deployment went all at once, without pause or bake, to the first release's digest.
  const rb = await describeWithCli(done.serviceDeploymentArn!);
  expect(rb.status).toBe('SUCCESSFUL');
  expect(rb.deploymentConfiguration).toMatchObject({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0 });
  expect(rb.lifecycleHookDetails ?? []).toEqual([]);
  expect(allAtOnce(done.serviceDeploymentArn!)).toBe(true);
  const image = (td: string) =>
    (sb.emulators.ecs.resolveTaskDefinition(td).body.containerDefinitions as { image: string }[])[0].image;
  expect(image(service().taskDefinition)).toBe(image(first));
  expect((await getDeployed('production', 'checkout', sb.deps))!.history[0]).toMatchObject({
    releaseId: 'rel-first',
    restoredBy: `manual-rollback:ada:${entry.id}`,
  });
  expect(await readLock('production', 'checkout', sb.deps)).toBeUndefined();
  expect(sb.chat.some((t) => t.includes('checkout') && /rolled back/i.test(t))).toBe(true);
  expect(paused()).toEqual([]);
});

test('rolling back a completed default LINEAR waits on a token, not in a Lambda, and is recorded', async () => {
  const before = sb.emulators.ecs.findService(CLUSTER, 'cart')!.taskDefinition;
  const { release, image } = await rollOut('linear', {}, 'cart');
  await waitFor(() => succeeded().length > 0, 15000);
  const result = await sb.rollBack(token('rb3'), 'production', { release, image }, null);
  expect(result).toMatchObject({ status: 'WAITING' });
  await waitFor(() => succeeded().some((s) => s.taskToken === token('rb3')), 15000);
  // The previous revision goes back all at once: no LINEAR steps, no bake (buildRollbackDeploymentConfiguration).
  const rollbackArn = (await getRecord(CLUSTER, 'cart', sb.deps))!.rollback!.serviceDeploymentArn!;
  const rb = (
    await sb.deps.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [rollbackArn] }))
  ).serviceDeployments![0];
  expect(rb.deploymentConfiguration).toMatchObject({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0 });
  expect(allAtOnce(rollbackArn)).toBe(true);
  expect(sb.emulators.ecs.findService(CLUSTER, 'cart')!.taskDefinition).toBe(before);
  expect(
    (await getDeployed('production', 'cart', sb.deps))?.history.map((e) => e.releaseId) ?? [],
  ).not.toContain(release.id);
  expect(await readLock('production', 'cart', sb.deps)).toBeUndefined();
}, 40000);
