import { continueServiceDeployment, rearmPause } from './pause-hooks';
import type { JsonStore } from '../../store';
import type { EventSink } from '../eventbridge';
import { type AwsServiceEmulator, SANDBOX_ACCOUNT, requireString } from '../protocol';
import { describeClusters, clusterJson, ensureCluster, listClusters } from './clusters';
import { type EcsContext, Timers } from './context';
import {
  serviceDeploymentStore,
  type DeploymentLogEntry,
  type EcsState,
  type HookInvoker,
  type ImageRegistry,
  type StoredService,
  type StoredTaskDefinition,
} from './model';
import { schedule } from './rolling';
import { FINAL, type StoredServiceDeployment } from './service-deployment-model';
import { scheduleStep, serviceDeploymentOf } from './service-deployments';
import {
  describeServiceDeployments,
  listServiceDeployments,
  stopServiceDeployment,
  testTrafficTaskDefinition,
} from './service-deployments-api';
import {
  applyExternalDeployment,
  createService,
  describeServices,
  findService,
  listServices,
  runningTaskDefinition,
  updateService,
} from './services';
import {
  imagesStart,
  registerTaskDefinition,
  resolveTaskDefinition,
  taskDefinitionJson,
} from './task-definitions';

/**
 * Emulated Amazon ECS: task-definition revisions, clusters and services whose `deployments` behave like
 * ECS rolling deployments with the circuit breaker: the new PRIMARY deployment goes IN_PROGRESS →
 * COMPLETED (the previous one drains) or FAILED (rolled back to the last stable revision when the circuit
 * breaker's rollback is on). Each transition emits the "ECS Deployment State Change" event to the sink.
 * Images annotated `org.shipgate.sandbox.rollout=fail` fail to start.
 *
 * This class is the request router and the sandbox's handle on ECS; the work is done by the modules of
 * this folder: `clusters`, `task-definitions`, `services`, `rolling` (rolling deployments),
 * `service-deployments` (the blue/green family's engine), `lifecycle-hooks`, `rollback`,
 * `service-deployments-api`, `events` and `deployment-log`.
 */
export class EcsEmulator implements AwsServiceEmulator {
  readonly targetPrefix = 'AmazonEC2ContainerServiceV20141113';
  readonly contentType = 'application/x-amz-json-1.1';
  readonly operations;
  private readonly ctx: EcsContext;

  constructor(
    store: JsonStore<EcsState>,
    /** Where ECS learns how images behave (the sandbox passes its ECR emulator). */
    images: ImageRegistry,
    sink: EventSink,
    /** Duration of each rollout phase (tasks starting, then settling). */
    phaseMs = 300,
    /** Shortest real wait of a PAUSE hook (ms, see `EcsContext.humanWaitMs`). */
    humanWaitMs = 0,
    /** The account whose ECS this is. @default SANDBOX_ACCOUNT */
    readonly account = SANDBOX_ACCOUNT,
  ) {
    const ctx: EcsContext = { account, store, images, sink, phaseMs, humanWaitMs, timers: new Timers() };
    this.ctx = ctx;
    this.operations = {
      CreateCluster: (i: Record<string, unknown>) => ({ cluster: clusterJson(ctx, ensureCluster(ctx, i)) }),
      DescribeClusters: (i: Record<string, unknown>) => describeClusters(ctx, i),
      ListClusters: (i: Record<string, unknown>) => listClusters(ctx, i),
      RegisterTaskDefinition: (i: Record<string, unknown>) => registerTaskDefinition(ctx, i),
      DescribeTaskDefinition: (i: Record<string, unknown>) => ({
        taskDefinition: taskDefinitionJson(
          resolveTaskDefinition(ctx, requireString(i, 'taskDefinition', 'ClientException')),
        ),
        tags: [],
      }),
      CreateService: (i: Record<string, unknown>) => createService(ctx, i),
      UpdateService: (i: Record<string, unknown>) => updateService(ctx, i),
      DescribeServices: (i: Record<string, unknown>) => describeServices(ctx, i),
      ListServices: (i: Record<string, unknown>) => listServices(ctx, i),
      ListServiceDeployments: (i: Record<string, unknown>) => listServiceDeployments(ctx, i),
      DescribeServiceDeployments: (i: Record<string, unknown>) => describeServiceDeployments(ctx, i),
      StopServiceDeployment: (i: Record<string, unknown>) => stopServiceDeployment(ctx, i),
      ContinueServiceDeployment: (i: Record<string, unknown>) =>
        continueServiceDeployment(ctx, i, scheduleStep),
    };
    store.data.serviceDeployments ??= {};
    // Rollouts that were in flight when the sandbox stopped carry on from where they were.
    for (const svc of Object.values(store.data.services)) {
      for (const d of svc.deployments) {
        if (d.status === 'PRIMARY' && d.rolloutState === 'IN_PROGRESS' && !serviceDeploymentOf(ctx, d.id)) {
          schedule(ctx, svc, d);
        }
      }
    }
    for (const sd of Object.values(store.data.serviceDeployments)) {
      // A deployment held at a PAUSE hook keeps waiting (until ContinueServiceDeployment or its deadline).
      if (!FINAL.has(sd.status) && !rearmPause(ctx, sd, scheduleStep)) scheduleStep(ctx, sd, phaseMs);
    }
  }

  /** Sets who runs lifecycle hook Lambdas (the sandbox wires its local Lambdas in once they exist). */
  setHookInvoker(invoker: HookInvoker | undefined): void {
    this.ctx.invokeHook = invoker;
  }

  /** Stops all rollout timers (state stays persisted). */
  close(): void {
    this.ctx.timers.close();
  }

  /** Creates a cluster if it does not exist yet (used by seeding and `CreateCluster`). */
  ensureCluster(input: Record<string, unknown>): { name: string; arn: string; createdAt: number } {
    return ensureCluster(this.ctx, input);
  }

  /** Resolves `family`, `family:revision` or a task-definition ARN. */
  resolveTaskDefinition(ref: string): StoredTaskDefinition {
    return resolveTaskDefinition(this.ctx, ref);
  }

  /** The service, or undefined. */
  findService(cluster: string, service: string): StoredService | undefined {
    return findService(this.ctx, cluster, service);
  }

  /**
   * Creates a service whose first deployment is already complete (seeding: what Terraform left running).
   */
  seedService(input: {
    cluster: string;
    serviceName: string;
    taskDefinition: string;
    desiredCount: number;
    deploymentConfiguration: Record<string, unknown>;
    deploymentController?: { type: string };
  }): void {
    if (this.findService(input.cluster, input.serviceName)) return;
    createService(this.ctx, { ...input }, true);
  }

  /** Every service deployment (read-only view for the console and tests). */
  serviceDeployments(): StoredServiceDeployment[] {
    return Object.values(serviceDeploymentStore(this.ctx.store.data));
  }

  /**
   * The task definition test traffic reaches on a service: the target revision of a service deployment
   * whose test traffic moved to it, else what runs.
   */
  testTrafficTaskDefinition(cluster: string, service: string): StoredTaskDefinition | undefined {
    return testTrafficTaskDefinition(this.ctx, cluster, service);
  }

  /**
   * What a service runs when nothing is in flight: the task definition of the PRIMARY deployment once it
   * completed, else the last stable one.
   */
  runningTaskDefinition(cluster: string, service: string): StoredTaskDefinition | undefined {
    return runningTaskDefinition(this.ctx, cluster, service);
  }

  /**
   * Switches a CODE_DEPLOY-controlled service to a new task definition (CodeDeploy's replacement task set
   * became primary) or records a failed attempt.
   */
  applyExternalDeployment(
    cluster: string,
    service: string,
    taskDefinition: string,
    succeeded: boolean,
  ): void {
    applyExternalDeployment(this.ctx, cluster, service, taskDefinition, succeeded);
  }

  /** Whether a task definition's images start (exposed for CodeDeploy emulation). */
  canStart(taskDefinition: string): boolean {
    return imagesStart(this.ctx, taskDefinition);
  }

  /** The deployment log, oldest first (see {@link DeploymentLogEntry}). */
  deploymentLog(): readonly DeploymentLogEntry[] {
    return this.ctx.store.data.deploymentLog ?? [];
  }

  /** All services (read-only view for the console). */
  services(): StoredService[] {
    return Object.values(this.ctx.store.data.services);
  }
}
