import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { handleDeploymentEvent } from '../../../lambdas/domain/rollout/events';
import { rollbackRelease } from '../../../lambdas/domain/rollout/rollback';
import {
  awaitRollout,
  checkRollout,
  runRolloutTask,
  startRollout,
} from '../../../lambdas/domain/rollout/start';
import {
  checkRolloutInputSchema,
  environmentImagesInputSchema,
  type RolloutOutcome,
} from '../../../lambdas/domain/rollout/types';
import { verifyRelease } from '../../../lambdas/domain/verify/smoke';
import type { ShipgateConfig } from '../../../lambdas/shared/config';
import type { ReleaseInput } from '../../../lambdas/shared/release';
import { definitionFor, runLocalWorkflow, stepError, type StateHandler } from '../../helpers/local-workflow';
import {
  contractFor,
  digest,
  imageOf,
  makeRelease,
  REGISTRY,
  startWorld,
  testConfig,
  type World,
} from './harness';

/**
 * The real synthesized release state machine, run locally (aws-local-stepfunctions), with the REAL rollout
 * handlers behind "Start/Await/Check rollout", "Verify" and "Roll back": ECS is the harness's modelled
 * service (mocked SDK), DynamoDB is dynalite, smoke checks hit a loopback HTTP server, and Step Functions
 * task tokens are bridged: a `SendTaskSuccess` / `SendTaskFailure` the code sends ends the waiting state.
 */

type Behaviour = 'complete' | 'fail' | 'lose-event';

interface Scenario {
  /** What ECS does with each (environment, service) rollout. Default: complete, with the event delivered. */
  ecs?: (environment: string, service: string) => Behaviour;
  /** HTTP status the smoke check gets per environment. Default 200. */
  smoke?: (environment: string) => number;
  /** Awaited after a rollout started and before ECS finishes it. */
  afterStart?: (environment: string, service: string) => Promise<void>;
}

const release = makeRelease({ services: ['storefront', 'cart'] });
const input: ReleaseInput = { release };

describe('release workflow with the real rollout handlers', () => {
  let world: World;
  let smokeServer: Server;
  let smokeStatus: (environment: string) => number = () => 200;
  const waiting = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();
  const park = (token: string) => new Promise((resolve, reject) => waiting.set(token, { resolve, reject }));

  async function setup(config: ShipgateConfig): Promise<void> {
    world = await startWorld(config);
    const port = (smokeServer.address() as AddressInfo).port;
    for (const environment of ['staging', 'production']) {
      for (const service of ['storefront', 'cart']) {
        world.publish(
          environment,
          contractFor(environment, service, {
            smokeUrl: `http://127.0.0.1:${port}/${environment}/${service}`,
          }),
        );
        world.addService(`shop-${environment}`, service, `${REGISTRY}/${service}@${digest('0')}`);
      }
    }
    // Shipgate's own rollbacks (UpdateService back) finish while it waits.
    world.onSleep = () => {
      for (const environment of ['staging', 'production']) {
        for (const service of ['storefront', 'cart']) {
          const primary = world
            .service(`shop-${environment}`, service)
            .deployments?.find((d) => d.status === 'PRIMARY');
          if (primary?.rolloutState === 'IN_PROGRESS') world.complete(`shop-${environment}`, service);
        }
      }
    };
    // Task tokens the code may resume: SendTaskSuccess/Failure from the handlers end the waiting state.
    waiting.clear();
    world.sfn.on(SendTaskSuccessCommand).callsFake((i: { taskToken: string; output: string }) => {
      const w = waiting.get(i.taskToken);
      if (!w) throw stepError('TaskTimedOut', 'Task Timed Out');
      waiting.delete(i.taskToken);
      w.resolve(JSON.parse(i.output));
      return {};
    });
    world.sfn
      .on(SendTaskFailureCommand)
      .callsFake((i: { taskToken: string; error: string; cause: string }) => {
        const w = waiting.get(i.taskToken);
        if (!w) throw stepError('TaskTimedOut', 'Task Timed Out');
        waiting.delete(i.taskToken);
        w.reject(stepError(i.error, i.cause));
        return {};
      });
  }

  beforeAll(async () => {
    smokeServer = createServer((req, res) => {
      const environment = (req.url ?? '/').split('/')[1];
      const status = smokeStatus(environment);
      res.writeHead(status).end(status === 200 ? 'ready' : 'not ready');
    });
    await new Promise<void>((resolve) => smokeServer.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    smokeServer.closeAllConnections();
    await new Promise<void>((resolve) => smokeServer.close(() => resolve()));
  });
  afterEach(async () => world.close());

  function handlers(config: ShipgateConfig, scenario: Scenario): Record<string, StateHandler> {
    smokeStatus = scenario.smoke ?? (() => 200);
    const behaviour = scenario.ecs ?? (() => 'complete');
    const h: Record<string, StateHandler> = {
      'Resolve release': () => ({ images: [imageOf('storefront'), imageOf('cart')] }),
      Scan: () => ({ passed: true, text: 'Scan passed', counts: {}, top: [], allowlisted: [] }),
      'Record release': () => ({ recordedAt: '2026-11-22T02:00:00.000Z' }),
      'Report failure': () => ({ reportedAt: '2026-11-22T02:00:00.000Z' }),
    };
    for (const environment of config.environments.map((e) => e.name)) {
      h[`Approve ${environment}`] = () => ({
        approvalId: `apr-${environment}`,
        approvedBy: ['ada'],
        decidedAt: '2026-11-22T01:00:00.000Z',
      });
      h[`Check freeze ${environment}`] = () => ({ frozen: false });
      h[`Start rollout ${environment}`] = async (p) => {
        const parked = park(p.taskToken as string);
        const result = await runRolloutTask(p, startRollout, world.deps);
        if (result.status === 'STARTED') {
          const service = (p.image as { service: string }).service;
          const cluster = `shop-${environment}`;
          const what = behaviour(environment, service);
          await scenario.afterStart?.(environment, service);
          setTimeout(() => {
            if (what === 'fail')
              world.failAndRollBack(
                cluster,
                service,
                'ECS deployment circuit breaker: tasks failed to start.',
              );
            else world.complete(cluster, service);
            if (what === 'lose-event') return;
            void handleDeploymentEvent(
              {
                source: 'aws.ecs',
                'detail-type': 'ECS Deployment State Change',
                resources: [`arn:aws:ecs:eu-west-1:000011112222:service/${cluster}/${service}`],
                detail: {
                  eventName: what === 'fail' ? 'SERVICE_DEPLOYMENT_FAILED' : 'SERVICE_DEPLOYMENT_COMPLETED',
                  deploymentId: result.deploymentId,
                  reason: 'from the test',
                },
              },
              world.deps,
            );
          }, 20);
        }
        return parked;
      };
      h[`Await rollout ${environment}`] = async (p) => {
        const parked = park(p.taskToken as string);
        await runRolloutTask(p, awaitRollout, world.deps);
        return parked;
      };
      h[`Check rollout ${environment}`] = (p) => checkRollout(checkRolloutInputSchema.parse(p), world.deps);
      h[`Verify ${environment}`] = (p) =>
        verifyRelease(environmentImagesInputSchema.parse(p), {
          ...world.deps,
          fetch: globalThis.fetch,
          sleep: async () => undefined,
        });
      h[`Roll back ${environment}`] = (p) =>
        rollbackRelease(environmentImagesInputSchema.parse(p), world.deps);
    }
    return h;
  }

  const updatesIn = (cluster: string) =>
    world.ecs.commandCalls(UpdateServiceCommand).filter((c) => c.args[0].input.cluster === cluster);

  test('two releases racing: one rolls out at a time, the other fails RolloutLocked; an older one never goes over a newer one', async () => {
    const config = testConfig();
    await setup(config);
    const single = (id: string, createdAt: string): ReleaseInput => ({
      release: makeRelease({ id, createdAt, services: ['storefront'] }),
    });
    const older = single('shop-storefront-p300-0a0a300', '2026-11-21T09:00:00.000Z');
    const newer = single('shop-storefront-p301-0b0b301', '2026-11-21T10:00:00.000Z');
    const definition = definitionFor(config);
    const only = (h: Record<string, StateHandler>, digestChar: string) => ({
      ...h,
      'Resolve release': () => ({ images: [imageOf('storefront', digestChar)] }),
    });
    let racing: Promise<Awaited<ReturnType<typeof runLocalWorkflow>>> | undefined;
    // The newer release starts while the older one's rollout is in flight.
    const first = await runLocalWorkflow(
      definition,
      older,
      only(
        handlers(config, {
          afterStart: async () => {
            racing ??= runLocalWorkflow(definition, newer, only(handlers(config, {}), 'b'));
            await racing;
          },
        }),
        'a',
      ),
    );
    const second = await racing!;

    expect(second.status).toBe('FAILED');
    expect(second.error).toBe('RolloutLocked');
    expect(second.cause).toContain(`being rolled out by release ${older.release.id}`);
    expect([first.status, first.error, first.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    expect(updatesIn('shop-staging')).toHaveLength(1);

    // Now the newer release runs alone; afterwards the older one may not come back over it.
    expect((await runLocalWorkflow(definition, newer, only(handlers(config, {}), 'b'))).status).toBe(
      'SUCCEEDED',
    );
    const again = await runLocalWorkflow(definition, older, only(handlers(config, {}), 'a'));
    expect(again.status).toBe('FAILED');
    expect(again.error).toBe('ReleaseSuperseded');
    expect(updatesIn('shop-staging')).toHaveLength(2);
  });

  test('rolling success through staging and production: production runs the digests that passed staging', async () => {
    const config = testConfig();
    await setup(config);
    const run = await runLocalWorkflow(definitionFor(config), input, handlers(config, {}));

    expect(run.status).toBe('SUCCEEDED');
    const deployments = run.output!.deployments as Record<string, RolloutOutcome[]>;
    expect(deployments.production.map((d) => [d.service, d.status, d.digest])).toEqual([
      ['storefront', 'COMPLETED', digest('a')],
      ['cart', 'COMPLETED', digest('a')],
    ]);
    expect(JSON.stringify(run.output)).not.toContain('fake-task-token');
    expect(updatesIn('shop-production')).toHaveLength(2);
    // State transitions of a two-service, two-environment release whose events all arrive (what AWS bills).
    expect(run.transitions).toBe(17);
  });

  test('circuit-breaker failure in staging: ECS rolled back, Shipgate rolls back the rest, release failed, production untouched', async () => {
    const config = testConfig();
    await setup(config);
    const run = await runLocalWorkflow(
      definitionFor(config),
      input,
      handlers(config, { ecs: (env, service) => (service === 'cart' ? 'fail' : 'complete') }),
    );

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RolloutFailed');
    expect(run.cause).toContain('rolled back to shop-staging-cart:1 (the revision it ran before)');
    expect(run.entered).toContain('Roll back staging');
    expect(run.entered).not.toContain('Approve production');
    expect(updatesIn('shop-production')).toHaveLength(0);
    // storefront had completed: Shipgate put it back on revision 1 itself.
    expect(world.service('shop-staging', 'storefront').taskDefinition).toMatch(/shop-staging-storefront:1$/);
    expect(world.service('shop-staging', 'cart').taskDefinition).toMatch(/shop-staging-cart:1$/);
  });

  test('verify failure in production: Shipgate rolls production back, staging keeps the release', async () => {
    const config = testConfig();
    await setup(config);
    const run = await runLocalWorkflow(
      definitionFor(config),
      input,
      handlers(config, { smoke: (env) => (env === 'production' ? 503 : 200) }),
    );

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('VerifyFailed');
    expect(world.service('shop-production', 'storefront').taskDefinition).toMatch(
      /shop-production-storefront:1$/,
    );
    expect(world.service('shop-production', 'cart').taskDefinition).toMatch(/shop-production-cart:1$/);
    expect(world.service('shop-staging', 'storefront').taskDefinition).toMatch(/shop-staging-storefront:2$/);
  });

  test('a lost completion event is settled by check-rollout after the grace period', async () => {
    const config = testConfig({
      rollout: { timeout: '30m', eventGrace: '1s', maxConcurrency: 2, lockLease: '1h' },
    });
    await setup(config);
    const run = await runLocalWorkflow(
      definitionFor(config),
      input,
      handlers(config, {
        ecs: (env, service) => (env === 'staging' && service === 'cart' ? 'lose-event' : 'complete'),
      }),
    );

    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered.filter((n) => n === 'Check rollout staging')).toHaveLength(1);
    expect(run.entered).not.toContain('Await rollout staging');
    const staging = (run.output!.deployments as Record<string, RolloutOutcome[]>).staging;
    expect(staging.find((d) => d.service === 'cart')).toMatchObject({
      status: 'COMPLETED',
      digest: digest('a'),
    });
  });
});
