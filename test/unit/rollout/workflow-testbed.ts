import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { handleDeploymentEvent } from '../../../lambdas/domain/rollout/events';
import { checkRollback, runRollbackTask } from '../../../lambdas/domain/rollout/rollback-wait';
import {
  awaitRollout,
  checkRollout,
  runRolloutTask,
  startRollout,
} from '../../../lambdas/domain/rollout/start';
import { checkRolloutInputSchema, environmentImagesInputSchema } from '../../../lambdas/domain/rollout/types';
import { verifyRelease } from '../../../lambdas/domain/verify/smoke';
import type { ShipgateConfig } from '../../../lambdas/shared/config';
import { stepError, type StateHandler } from '../../helpers/local-workflow';
import { contractFor, imageOf, REGISTRY, digest, startWorld, type World } from './harness';

/**
 * A testbed for running the real synthesized release state machine locally (aws-local-stepfunctions) with
 * the REAL rollout handlers behind "Start/Await/Check rollout", "Verify" and "Roll back": ECS is the
 * harness's modelled service (mocked SDK), DynamoDB is dynalite, smoke checks hit a loopback HTTP server,
 * and Step Functions task tokens are bridged: a `SendTaskSuccess` / `SendTaskFailure` the code sends ends
 * the waiting state.
 *
 * Clusters are `shop-<environment>`; the services `storefront` and `cart` exist in staging and production,
 * running revision 1 (`digest('0')`).
 */

/** What ECS does with a rollout. */
export type Behaviour = 'complete' | 'fail' | 'lose-event';

/** How the modelled world behaves in one run. */
export interface Scenario {
  /** What ECS does with each (environment, service) rollout. Default: complete, with the event delivered. */
  ecs?: (environment: string, service: string) => Behaviour;
  /** HTTP status the smoke check gets per environment. Default 200. */
  smoke?: (environment: string) => number;
  /** Awaited after a rollout started and before ECS finishes it. */
  afterStart?: (environment: string, service: string) => Promise<void>;
}

/** The testbed: call `open()` in beforeAll, `setup(config)` per test, `closeWorld()` in afterEach, `close()` in afterAll. */
export interface RolloutWorkflowTestbed {
  /** The current test's world (after `setup`). */
  readonly world: World;
  /** Starts the smoke-check server. */
  open(): Promise<void>;
  /** A fresh world for `config`: contracts published, services at revision 1, task tokens bridged. */
  setup(config: ShipgateConfig): Promise<void>;
  /** Handlers for every Task state: fixed resolve/scan/approvals/freeze/record/report, real rollout code. */
  handlers(config: ShipgateConfig, scenario: Scenario): Record<string, StateHandler>;
  /** UpdateService calls the code made in a cluster (rollouts and Shipgate's own rollbacks). */
  updatesIn(cluster: string): { taskDefinition?: string }[];
  closeWorld(): Promise<void>;
  close(): Promise<void>;
}

const ENVIRONMENTS = ['staging', 'production'];
const SERVICES = ['storefront', 'cart'];

/** Creates a {@link RolloutWorkflowTestbed}. */
export function rolloutWorkflowTestbed(): RolloutWorkflowTestbed {
  let world: World | undefined;
  let smokeServer: Server | undefined;
  let smokeStatus: (environment: string) => number = () => 200;
  const waiting = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();
  const park = (token: string) => new Promise((resolve, reject) => waiting.set(token, { resolve, reject }));
  const current = (): World => {
    if (!world) throw new Error('rolloutWorkflowTestbed: call setup(config) first');
    return world;
  };

  return {
    get world() {
      return current();
    },

    async open() {
      smokeServer = createServer((req, res) => {
        const environment = (req.url ?? '/').split('/')[1];
        const status = smokeStatus(environment);
        res.writeHead(status).end(status === 200 ? 'ready' : 'not ready');
      });
      await new Promise<void>((resolve) => smokeServer!.listen(0, '127.0.0.1', resolve));
    },

    async setup(config) {
      const w = await startWorld(config);
      world = w;
      const port = (smokeServer!.address() as AddressInfo).port;
      for (const environment of ENVIRONMENTS) {
        for (const service of SERVICES) {
          w.publish(
            environment,
            contractFor(environment, service, {
              smokeUrl: `http://127.0.0.1:${port}/${environment}/${service}`,
            }),
          );
          w.addService(`shop-${environment}`, service, `${REGISTRY}/${service}@${digest('0')}`);
        }
      }
      // Shipgate's own rollbacks (UpdateService back) finish while it waits.
      w.onSleep = () => {
        for (const environment of ENVIRONMENTS) {
          for (const service of SERVICES) {
            const primary = w
              .service(`shop-${environment}`, service)
              .deployments?.find((d) => d.status === 'PRIMARY');
            if (primary?.rolloutState === 'IN_PROGRESS') w.complete(`shop-${environment}`, service);
          }
        }
      };
      // Task tokens the code may resume: SendTaskSuccess/Failure from the handlers end the waiting state.
      waiting.clear();
      w.sfn.on(SendTaskSuccessCommand).callsFake((i: { taskToken: string; output: string }) => {
        const parked = waiting.get(i.taskToken);
        if (!parked) throw stepError('TaskTimedOut', 'Task Timed Out');
        waiting.delete(i.taskToken);
        parked.resolve(JSON.parse(i.output));
        return {};
      });
      w.sfn.on(SendTaskFailureCommand).callsFake((i: { taskToken: string; error: string; cause: string }) => {
        const parked = waiting.get(i.taskToken);
        if (!parked) throw stepError('TaskTimedOut', 'Task Timed Out');
        waiting.delete(i.taskToken);
        parked.reject(stepError(i.error, i.cause));
        return {};
      });
    },

    handlers(config, scenario) {
      const w = current();
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
          const result = await runRolloutTask(p, startRollout, w.deps);
          if (result.status === 'STARTED') {
            const service = (p.image as { service: string }).service;
            const cluster = `shop-${environment}`;
            const what = behaviour(environment, service);
            await scenario.afterStart?.(environment, service);
            setTimeout(() => {
              if (what === 'fail')
                w.failAndRollBack(cluster, service, 'ECS deployment circuit breaker: tasks failed to start.');
              else w.complete(cluster, service);
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
                w.deps,
              );
            }, 20);
          }
          return parked;
        };
        h[`Await rollout ${environment}`] = async (p) => {
          const parked = park(p.taskToken as string);
          await runRolloutTask(p, awaitRollout, w.deps);
          return parked;
        };
        h[`Check rollout ${environment}`] = (p) => checkRollout(checkRolloutInputSchema.parse(p), w.deps);
        h[`Verify ${environment}`] = (p) =>
          verifyRelease(environmentImagesInputSchema.parse(p), {
            ...w.deps,
            fetch: globalThis.fetch,
            sleep: async () => undefined,
          });
        // "Roll back": the real rollback handler parks its token; ECS finishes Shipgate's own rollback
        // deployment shortly after and its COMPLETED event resumes the token, as in AWS.
        const rollback = async (p: Record<string, unknown>) => {
          const parked = park(p.taskToken as string);
          const result = await runRollbackTask(p, w.deps);
          if (result.status === 'WAITING') {
            const service = (p.image as { service: string }).service;
            const cluster = `shop-${environment}`;
            setTimeout(() => {
              const primary = w.service(cluster, service).deployments?.find((d) => d.status === 'PRIMARY');
              if (primary?.rolloutState === 'IN_PROGRESS') w.complete(cluster, service);
              void handleDeploymentEvent(
                {
                  source: 'aws.ecs',
                  'detail-type': 'ECS Deployment State Change',
                  resources: [`arn:aws:ecs:eu-west-1:000011112222:service/${cluster}/${service}`],
                  detail: {
                    eventName: 'SERVICE_DEPLOYMENT_COMPLETED',
                    deploymentId: primary?.id ?? 'unknown',
                    reason: 'rollback from the test',
                  },
                },
                w.deps,
              );
            }, 20);
          }
          return parked;
        };
        h[`Start rollback ${environment}`] = rollback;
        h[`Await rollback ${environment}`] = rollback;
        h[`Check rollback ${environment}`] = (p) => checkRollback(checkRolloutInputSchema.parse(p), w.deps);
      }
      return h;
    },

    updatesIn(cluster) {
      return current()
        .ecs.commandCalls(UpdateServiceCommand)
        .map((c) => c.args[0].input as { cluster?: string; taskDefinition?: string })
        .filter((input) => input.cluster === cluster);
    },

    async closeWorld() {
      await world?.close();
      world = undefined;
    },

    async close() {
      if (!smokeServer) return;
      smokeServer.closeAllConnections();
      await new Promise<void>((resolve) => smokeServer!.close(() => resolve()));
      smokeServer = undefined;
    },
  };
}
