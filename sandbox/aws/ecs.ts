import { randomUUID } from 'node:crypto';
import { JsonStore } from '../store';
import type { EcrEmulator } from './ecr';
import {
  FINAL,
  STOPPABLE,
  TRAFFIC_SHIFTING_STRATEGIES,
  briefJson,
  planDeployment,
  serviceDeploymentJson,
  validateDeploymentConfiguration,
  type LifecycleStage,
  type RollbackCause,
  type StoredHook,
  type StoredServiceDeployment,
} from './ecs-service-deployments';
import {
  AwsServiceEmulator,
  AwsServiceError,
  SANDBOX_ACCOUNT,
  SANDBOX_REGION,
  epochSeconds,
  paginate,
  randomHex,
  requireString,
} from './protocol';

/** A registered task-definition revision. */
export interface StoredTaskDefinition {
  arn: string;
  family: string;
  revision: number;
  registeredAt: number;
  /** Everything the caller registered (container definitions, cpu, memory, roles…). */
  body: Record<string, unknown>;
}

/** One entry of a service's `deployments` array. */
export interface StoredDeployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinition: string;
  desiredCount: number;
  pendingCount: number;
  runningCount: number;
  failedTasks: number;
  createdAt: number;
  updatedAt: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
  /** Emulation bookkeeping: phases done (0 created, 1 tasks started, 2 settled). */
  phase: number;
  /** Emulation bookkeeping: the task definition to roll back to when this deployment fails. */
  rollbackTo?: string;
}

/** An emulated ECS service. */
export interface StoredService {
  name: string;
  arn: string;
  cluster: string;
  taskDefinition: string;
  desiredCount: number;
  createdAt: number;
  launchType: string;
  deploymentConfiguration: Record<string, unknown>;
  deploymentController: { type: string };
  deployments: StoredDeployment[];
  events: { id: string; createdAt: number; message: string }[];
  /** Task definition of the last deployment that completed (what runs when nothing is in flight). */
  stableTaskDefinition?: string;
}

/**
 * One deployment in the emulator's append-only deployment log: when ECS started it, when it settled and how.
 * Not an AWS API (DescribeServices forgets settled deployments); it lets tests and `npm run bench` check from
 * the emulator itself that no two rollouts of one service overlapped.
 */
export interface DeploymentLogEntry {
  service: string;
  deploymentId: string;
  taskDefinition: string;
  /** `update`: UpdateService/CreateService; `rollback`: the circuit breaker's automatic rollback. */
  kind: 'update' | 'rollback';
  /** Epoch milliseconds. */
  startedAt: number;
  endedAt?: number;
  outcome: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'SUPERSEDED';
  /** Deployments of the same service still IN_PROGRESS when this one started (other than the one it rolls back). */
  overlapped: string[];
}

/** Entries kept in the deployment log (oldest dropped first). */
export const DEPLOYMENT_LOG_LIMIT = 5000;

/** Persistent ECS state. */
export interface EcsState {
  clusters: Record<string, { name: string; arn: string; createdAt: number }>;
  services: Record<string, StoredService>;
  taskDefinitions: Record<string, StoredTaskDefinition[]>;
  /** See {@link DeploymentLogEntry}; absent in state dirs written before it existed. */
  deploymentLog?: DeploymentLogEntry[];
  /** Service deployments of the blue/green family, by ARN (absent in state dirs from before they existed). */
  serviceDeployments?: Record<string, StoredServiceDeployment>;
}

/**
 * Invokes a lifecycle hook's Lambda function with ECS's payload and returns what it answered (the sandbox
 * runs the handler in-process; an unknown function throws, as a failed invocation does in AWS).
 */
export type HookInvoker = (functionArn: string, payload: Record<string, unknown>) => Promise<unknown>;

/** An event in EventBridge's envelope, as a rule target receives it. */
export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** Receives deployment state-change events (the sandbox's stand-in for an EventBridge rule). */
export type EventSink = (event: EventBridgeEvent) => void;

const arnPrefix = `arn:aws:ecs:${SANDBOX_REGION}:${SANDBOX_ACCOUNT}`;

/** Name part of an ECS cluster/service given by name or ARN. */
function shortName(value: string): string {
  return value.includes('/') ? value.slice(value.lastIndexOf('/') + 1) : value;
}

/** Builds an EventBridge envelope. */
export function eventEnvelope(
  detailType: string,
  source: string,
  resources: string[],
  detail: Record<string, unknown>,
): EventBridgeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: SANDBOX_ACCOUNT,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: SANDBOX_REGION,
    resources,
    detail,
  };
}

/**
 * Emulated Amazon ECS: task-definition revisions, clusters and services whose `deployments` behave like
 * ECS rolling deployments with the circuit breaker: the new PRIMARY deployment goes IN_PROGRESS →
 * COMPLETED (the previous one drains) or FAILED (rolled back to the last stable revision when the circuit
 * breaker's rollback is on). Each transition emits the "ECS Deployment State Change" event to the sink.
 * Images annotated `org.shipgate.sandbox.rollout=fail` fail to start.
 */
export class EcsEmulator implements AwsServiceEmulator {
  readonly targetPrefix = 'AmazonEC2ContainerServiceV20141113';
  readonly contentType = 'application/x-amz-json-1.1';
  readonly operations;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;
  private invokeHook: HookInvoker | undefined;

  constructor(
    private readonly store: JsonStore<EcsState>,
    private readonly ecr: EcrEmulator,
    private readonly sink: EventSink,
    /** Duration of each rollout phase (tasks starting, then settling). */
    private readonly phaseMs = 300,
  ) {
    this.operations = {
      CreateCluster: (i: Record<string, unknown>) => ({ cluster: this.clusterJson(this.ensureCluster(i)) }),
      DescribeClusters: (i: Record<string, unknown>) => this.describeClusters(i),
      ListClusters: (i: Record<string, unknown>) => this.listClusters(i),
      RegisterTaskDefinition: (i: Record<string, unknown>) => this.registerTaskDefinition(i),
      DescribeTaskDefinition: (i: Record<string, unknown>) => ({
        taskDefinition: this.taskDefinitionJson(
          this.resolveTaskDefinition(requireString(i, 'taskDefinition', 'ClientException')),
        ),
        tags: [],
      }),
      CreateService: (i: Record<string, unknown>) => this.createService(i),
      UpdateService: (i: Record<string, unknown>) => this.updateService(i),
      DescribeServices: (i: Record<string, unknown>) => this.describeServices(i),
      ListServices: (i: Record<string, unknown>) => this.listServices(i),
      ListServiceDeployments: (i: Record<string, unknown>) => this.listServiceDeployments(i),
      DescribeServiceDeployments: (i: Record<string, unknown>) => this.describeServiceDeployments(i),
      StopServiceDeployment: (i: Record<string, unknown>) => this.stopServiceDeployment(i),
    };
    this.store.data.serviceDeployments ??= {};
    // Rollouts that were in flight when the sandbox stopped carry on from where they were.
    for (const svc of Object.values(this.store.data.services)) {
      for (const d of svc.deployments) {
        if (d.status === 'PRIMARY' && d.rolloutState === 'IN_PROGRESS' && !this.serviceDeploymentOf(d.id)) {
          this.schedule(svc, d);
        }
      }
    }
    for (const sd of Object.values(this.store.data.serviceDeployments)) {
      if (!FINAL.has(sd.status)) this.scheduleStep(sd, this.phaseMs);
    }
  }

  /** Sets who runs lifecycle hook Lambdas (the sandbox wires its local Lambdas in once they exist). */
  setHookInvoker(invoker: HookInvoker | undefined): void {
    this.invokeHook = invoker;
  }

  /** Stops all rollout timers (state stays persisted). */
  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private clusterJson(c: { name: string; arn: string }) {
    const services = Object.values(this.store.data.services).filter((s) => s.cluster === c.name);
    return {
      clusterArn: c.arn,
      clusterName: c.name,
      status: 'ACTIVE',
      activeServicesCount: services.length,
      runningTasksCount: services.reduce(
        (n, s) => n + s.deployments.reduce((m, d) => m + d.runningCount, 0),
        0,
      ),
      pendingTasksCount: services.reduce(
        (n, s) => n + s.deployments.reduce((m, d) => m + d.pendingCount, 0),
        0,
      ),
      registeredContainerInstancesCount: 0,
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    };
  }

  /** Creates a cluster if it does not exist yet (used by seeding and `CreateCluster`). */
  ensureCluster(input: Record<string, unknown>): { name: string; arn: string; createdAt: number } {
    const name = typeof input.clusterName === 'string' && input.clusterName ? input.clusterName : 'default';
    let cluster = this.store.data.clusters[name];
    if (!cluster) {
      cluster = { name, arn: `${arnPrefix}:cluster/${name}`, createdAt: epochSeconds() };
      this.store.data.clusters[name] = cluster;
      this.store.changed();
    }
    return cluster;
  }

  private cluster(value: unknown): { name: string; arn: string } {
    const name = typeof value === 'string' && value ? shortName(value) : 'default';
    const cluster = this.store.data.clusters[name];
    if (!cluster) throw new AwsServiceError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  }

  private describeClusters(input: Record<string, unknown>) {
    const names = Array.isArray(input.clusters) ? (input.clusters as string[]) : ['default'];
    const clusters: unknown[] = [];
    const failures: unknown[] = [];
    for (const n of names) {
      const c = this.store.data.clusters[shortName(n)];
      if (c) clusters.push(this.clusterJson(c));
      else failures.push({ arn: n.startsWith('arn:') ? n : `${arnPrefix}:cluster/${n}`, reason: 'MISSING' });
    }
    return { clusters, failures };
  }

  private listClusters(input: Record<string, unknown>) {
    const arns = Object.values(this.store.data.clusters).map((c) => c.arn);
    const { page, nextToken } = paginate(arns, input.maxResults, input.nextToken);
    return { clusterArns: page, nextToken };
  }

  private registerTaskDefinition(input: Record<string, unknown>) {
    const family = requireString(input, 'family', 'ClientException');
    const containers = input.containerDefinitions;
    if (!Array.isArray(containers) || containers.length === 0) {
      throw new AwsServiceError(
        'ClientException',
        'Container definitions are required: containerDefinitions must contain at least one container.',
      );
    }
    for (const c of containers as Record<string, unknown>[]) {
      if (typeof c?.name !== 'string' || typeof c?.image !== 'string') {
        throw new AwsServiceError(
          'ClientException',
          `Container definition ${JSON.stringify(c?.name ?? null)} needs both "name" and "image".`,
        );
      }
    }
    const revisions = (this.store.data.taskDefinitions[family] ??= []);
    const revision = revisions.length + 1;
    const body = { ...input };
    delete body.tags;
    const td: StoredTaskDefinition = {
      arn: `${arnPrefix}:task-definition/${family}:${revision}`,
      family,
      revision,
      registeredAt: epochSeconds(),
      body,
    };
    revisions.push(td);
    this.store.changed();
    return { taskDefinition: this.taskDefinitionJson(td), tags: Array.isArray(input.tags) ? input.tags : [] };
  }

  private taskDefinitionJson(td: StoredTaskDefinition) {
    return {
      ...td.body,
      taskDefinitionArn: td.arn,
      family: td.family,
      revision: td.revision,
      status: 'ACTIVE',
      compatibilities: ['EC2', 'FARGATE'],
      registeredAt: td.registeredAt,
      registeredBy: `arn:aws:iam::${SANDBOX_ACCOUNT}:user/shipgate-sandbox`,
    };
  }

  /** Resolves `family`, `family:revision` or a task-definition ARN. */
  resolveTaskDefinition(ref: string): StoredTaskDefinition {
    const tail = ref.startsWith('arn:')
      ? ref.slice(ref.indexOf('task-definition/') + 'task-definition/'.length)
      : ref;
    const [family, rev] = tail.split(':');
    const revisions = this.store.data.taskDefinitions[family] ?? [];
    const td = rev === undefined ? revisions[revisions.length - 1] : revisions[Number(rev) - 1];
    if (!td) {
      throw new AwsServiceError(
        'ClientException',
        `Unable to describe task definition: ${ref} does not exist.`,
      );
    }
    return td;
  }

  private serviceKey(cluster: string, service: string): string {
    return `${cluster}/${service}`;
  }

  /** The service, or undefined. */
  findService(cluster: string, service: string): StoredService | undefined {
    return this.store.data.services[this.serviceKey(shortName(cluster), shortName(service))];
  }

  private serviceJson(s: StoredService) {
    const clusterArn = `${arnPrefix}:cluster/${s.cluster}`;
    return {
      serviceArn: s.arn,
      serviceName: s.name,
      clusterArn,
      loadBalancers: [],
      serviceRegistries: [],
      status: 'ACTIVE',
      desiredCount: s.desiredCount,
      runningCount: s.deployments.reduce((n, d) => n + d.runningCount, 0),
      pendingCount: s.deployments.reduce((n, d) => n + d.pendingCount, 0),
      launchType: s.launchType,
      platformVersion: 'LATEST',
      platformFamily: 'Linux',
      taskDefinition: s.taskDefinition,
      deploymentConfiguration: s.deploymentConfiguration,
      deployments: s.deployments.map((d) => ({
        id: d.id,
        status: d.status,
        taskDefinition: d.taskDefinition,
        desiredCount: d.desiredCount,
        pendingCount: d.pendingCount,
        runningCount: d.runningCount,
        failedTasks: d.failedTasks,
        createdAt: d.createdAt,
        updatedAt: d.updatedAt,
        launchType: s.launchType,
        platformVersion: '1.4.0',
        platformFamily: 'Linux',
        rolloutState: d.rolloutState,
        rolloutStateReason: d.rolloutStateReason,
      })),
      events: s.events,
      createdAt: s.createdAt,
      createdBy: `arn:aws:iam::${SANDBOX_ACCOUNT}:role/shipgate-sandbox`,
      deploymentController: s.deploymentController,
      schedulingStrategy: 'REPLICA',
      enableECSManagedTags: false,
      propagateTags: 'NONE',
      enableExecuteCommand: false,
    };
  }

  private addEvent(s: StoredService, message: string): void {
    s.events.unshift({
      id: randomUUID(),
      createdAt: epochSeconds(),
      message: `(service ${s.name}) ${message}`,
    });
    s.events.length = Math.min(s.events.length, 100);
  }

  private newDeployment(s: StoredService, taskDefinition: string): StoredDeployment {
    const now = epochSeconds();
    return {
      id: `ecs-svc/${BigInt(`0x${randomHex(8)}`)
        .toString()
        .padStart(19, '1')
        .slice(0, 19)}`,
      status: 'PRIMARY',
      taskDefinition,
      desiredCount: s.desiredCount,
      pendingCount: 0,
      runningCount: 0,
      failedTasks: 0,
      createdAt: now,
      updatedAt: now,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: '',
      phase: 0,
    };
  }

  private defaultDeploymentConfiguration(input: unknown): Record<string, unknown> {
    const given = (input ?? {}) as Record<string, unknown>;
    return {
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      deploymentCircuitBreaker: { enable: false, rollback: false },
      ...given,
    };
  }

  private createService(input: Record<string, unknown>, seeded = false) {
    const cluster = this.cluster(input.cluster);
    const name = requireString(input, 'serviceName', 'InvalidParameterException');
    if (this.store.data.services[this.serviceKey(cluster.name, name)]) {
      throw new AwsServiceError('InvalidParameterException', 'Creation of service was not idempotent.');
    }
    const td = this.resolveTaskDefinition(
      requireString(input, 'taskDefinition', 'InvalidParameterException'),
    );
    const s: StoredService = {
      name,
      arn: `${arnPrefix}:service/${cluster.name}/${name}`,
      cluster: cluster.name,
      taskDefinition: td.arn,
      desiredCount: typeof input.desiredCount === 'number' ? input.desiredCount : 1,
      createdAt: epochSeconds(),
      launchType: typeof input.launchType === 'string' ? input.launchType : 'FARGATE',
      deploymentConfiguration: this.defaultDeploymentConfiguration(input.deploymentConfiguration),
      deploymentController: (input.deploymentController as { type: string }) ?? { type: 'ECS' },
      deployments: [],
      events: [],
    };
    this.store.data.services[this.serviceKey(cluster.name, name)] = s;
    if (seeded) {
      const d = this.newDeployment(s, td.arn);
      Object.assign(d, {
        runningCount: d.desiredCount,
        rolloutState: 'COMPLETED',
        rolloutStateReason: `ECS deployment ${d.id} completed.`,
        phase: 2,
      });
      s.deployments = [d];
      s.stableTaskDefinition = td.arn;
      this.addEvent(s, 'has reached a steady state.');
      this.store.changed();
    } else {
      this.startDeployment(s, td.arn);
    }
    return { service: this.serviceJson(s) };
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
    this.createService({ ...input }, true);
  }

  private updateService(input: Record<string, unknown>) {
    const cluster = this.cluster(input.cluster);
    const name = shortName(requireString(input, 'service', 'InvalidParameterException'));
    const s = this.store.data.services[this.serviceKey(cluster.name, name)];
    if (!s) throw new AwsServiceError('ServiceNotFoundException', 'Service not found.');
    if (s.deploymentController.type === 'CODE_DEPLOY' && input.taskDefinition !== undefined) {
      throw new AwsServiceError(
        'InvalidParameterException',
        'Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.',
      );
    }
    const merged = input.deploymentConfiguration
      ? { ...s.deploymentConfiguration, ...(input.deploymentConfiguration as object) }
      : s.deploymentConfiguration;
    // Refused before anything changes, as ECS refuses the whole call.
    validateDeploymentConfiguration(merged);
    const td =
      typeof input.taskDefinition === 'string'
        ? this.resolveTaskDefinition(input.taskDefinition).arn
        : s.taskDefinition;
    s.deploymentConfiguration = merged;
    if (typeof input.desiredCount === 'number') s.desiredCount = input.desiredCount;
    if (td !== s.taskDefinition || input.forceNewDeployment === true) {
      if (this.trafficShifting(s)) this.startServiceDeployment(s, td);
      else this.startDeployment(s, td);
    } else {
      for (const d of s.deployments) if (d.status === 'PRIMARY') d.desiredCount = s.desiredCount;
      this.store.changed();
    }
    return { service: this.serviceJson(s) };
  }

  private startDeployment(
    s: StoredService,
    taskDefinition: string,
    rollbackOf?: StoredDeployment,
  ): StoredDeployment {
    this.cancelTimer(s);
    const inFlight = s.deployments.filter((x) => x.rolloutState === 'IN_PROGRESS');
    for (const d of s.deployments) d.status = 'ACTIVE';
    const d = this.newDeployment(s, taskDefinition);
    for (const x of inFlight) this.logEnd(x, 'SUPERSEDED');
    this.logStart(s, d, 'update', inFlight);
    const breaker = (s.deploymentConfiguration.deploymentCircuitBreaker ?? {}) as {
      enable?: boolean;
      rollback?: boolean;
    };
    if (
      !rollbackOf &&
      breaker.enable &&
      breaker.rollback &&
      s.stableTaskDefinition &&
      s.stableTaskDefinition !== taskDefinition
    ) {
      d.rollbackTo = s.stableTaskDefinition;
    }
    d.rolloutStateReason = `ECS deployment ${d.id} in progress.`;
    s.deployments.unshift(d);
    s.taskDefinition = taskDefinition;
    this.store.changed();
    this.emit(s, d, 'SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO', d.rolloutStateReason);
    this.schedule(s, d);
    return d;
  }

  private cancelTimer(s: StoredService): void {
    const t = this.timers.get(s.arn);
    if (t) clearTimeout(t);
    this.timers.delete(s.arn);
  }

  private schedule(s: StoredService, d: StoredDeployment): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(s.arn);
      this.advance(s, d);
    }, this.phaseMs);
    t.unref();
    this.timers.set(s.arn, t);
  }

  // ---- Service deployments of the blue/green family (BLUE_GREEN, LINEAR, CANARY) ----

  private trafficShifting(s: StoredService): boolean {
    const strategy = s.deploymentConfiguration.strategy;
    return (
      s.deploymentController.type === 'ECS' &&
      (TRAFFIC_SHIFTING_STRATEGIES as readonly unknown[]).includes(strategy)
    );
  }

  private get serviceDeploymentStore(): Record<string, StoredServiceDeployment> {
    return (this.store.data.serviceDeployments ??= {});
  }

  /** The service deployment whose target runs ECS deployment `deploymentId`, if any. */
  private serviceDeploymentOf(deploymentId: string): StoredServiceDeployment | undefined {
    return Object.values(this.serviceDeploymentStore).find((sd) => sd.target.deploymentId === deploymentId);
  }

  private revisionArn(s: StoredService): string {
    return `${arnPrefix}:service-revision/${s.cluster}/${s.name}/${BigInt(`0x${randomHex(8)}`).toString()}`;
  }

  /**
   * The stage at which the target's tasks fail in this cluster, from the image annotation
   * `org.shipgate.sandbox.fail-at` (`<STAGE>` or `<STAGE>@<environment>`; the environment matches the
   * cluster `shipgate-<environment>` or the cluster name itself). A plain `fail` fails at SCALE_UP.
   */
  private failStage(taskDefinition: string, cluster: string): LifecycleStage | undefined {
    let td: StoredTaskDefinition;
    try {
      td = this.resolveTaskDefinition(taskDefinition);
    } catch {
      return 'SCALE_UP';
    }
    for (const c of (td.body.containerDefinitions ?? []) as { image?: string }[]) {
      const found = c.image ? this.ecr.resolveReference(c.image) : undefined;
      if (!found) continue;
      const behaviour = this.ecr.behaviour(found.image);
      if (behaviour.rollout === 'fail') return 'SCALE_UP';
      const at = behaviour.failAt;
      if (at && (!at.environment || at.environment === cluster || `shipgate-${at.environment}` === cluster)) {
        return at.stage as LifecycleStage;
      }
    }
    return undefined;
  }

  private startServiceDeployment(s: StoredService, taskDefinition: string): StoredDeployment {
    const now = epochSeconds();
    // A newer UpdateService supersedes a service deployment still in flight.
    for (const other of Object.values(this.serviceDeploymentStore)) {
      if (other.serviceArn === s.arn && !FINAL.has(other.status)) {
        this.cancelTimerKey(other.arn);
        other.status = 'STOPPED';
        other.statusReason = 'Superseded by a newer service deployment.';
        other.stoppedAt = other.finishedAt = other.updatedAt = now;
      }
    }
    const sourceTaskDefinition = s.stableTaskDefinition ?? s.taskDefinition;
    const sourceDeployment =
      s.deployments.find((d) => d.status === 'PRIMARY' && d.rolloutState === 'COMPLETED') ?? s.deployments[0];
    const d = this.startDeploymentSilently(s, taskDefinition);
    const cfg = { ...s.deploymentConfiguration };
    const strategy = cfg.strategy as StoredServiceDeployment['strategy'];
    const id = randomHex(11);
    const sd: StoredServiceDeployment = {
      arn: `${arnPrefix}:service-deployment/${s.cluster}/${s.name}/${id}`,
      serviceArn: s.arn,
      clusterArn: `${arnPrefix}:cluster/${s.cluster}`,
      strategy,
      status: 'IN_PROGRESS',
      statusReason: `${strategy} service deployment in progress.`,
      lifecycleStage: 'PRE_SCALE_UP',
      createdAt: now,
      startedAt: now,
      updatedAt: now,
      source: {
        arn: this.revisionArn(s),
        taskDefinition: sourceTaskDefinition,
        deploymentId: sourceDeployment?.id ?? '',
      },
      target: { arn: this.revisionArn(s), taskDefinition, deploymentId: d.id },
      productionWeight: 0,
      testWeight: 0,
      desiredCount: s.desiredCount,
      targetRunning: 0,
      failedTasks: 0,
      deploymentConfiguration: cfg,
      hooks: ((cfg.lifecycleHooks ?? []) as StoredHook[]).map((h) => ({ ...h })),
      hookRuns: [],
      plan: planDeployment(strategy, cfg),
      next: 0,
      failAt: this.failStage(taskDefinition, s.cluster),
    };
    this.serviceDeploymentStore[sd.arn] = sd;
    this.addEvent(s, `${strategy} deployment ${d.id} started (service deployment ${id}).`);
    this.store.changed();
    this.emit(s, d, 'SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO', d.rolloutStateReason);
    this.scheduleStep(sd, this.phaseMs);
    return d;
  }

  private cancelTimerKey(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  private scheduleStep(sd: StoredServiceDeployment, ms: number): void {
    if (this.closed) return;
    this.cancelTimerKey(sd.arn);
    const t = setTimeout(
      () => {
        this.timers.delete(sd.arn);
        void this.tick(sd.arn).catch(() => undefined);
      },
      Math.max(1, Math.round(ms)),
    );
    t.unref();
    this.timers.set(sd.arn, t);
  }

  private serviceOf(sd: StoredServiceDeployment): StoredService | undefined {
    return Object.values(this.store.data.services).find((x) => x.arn === sd.serviceArn);
  }

  private deploymentIn(s: StoredService, id: string): StoredDeployment | undefined {
    return s.deployments.find((d) => d.id === id);
  }

  /** Advances a service deployment by one step of its plan (or of its rollback). */
  private async tick(arn: string): Promise<void> {
    const sd = this.serviceDeploymentStore[arn];
    const s = sd && this.serviceOf(sd);
    if (!sd || !s || FINAL.has(sd.status)) return;
    sd.updatedAt = epochSeconds();
    if (sd.status === 'ROLLBACK_REQUESTED') return this.rollbackInProgress(sd, s);
    if (sd.status === 'ROLLBACK_IN_PROGRESS') return this.rollbackDone(sd, s);
    if (sd.status === 'STOP_REQUESTED') return this.stopped(sd, s);
    const step = sd.plan[sd.next];
    if (!step) return this.succeed(sd, s);
    sd.next += 1;
    if (step.kind !== 'hooks') sd.lifecycleStage = step.stage;
    const target = this.deploymentIn(s, sd.target.deploymentId);
    if (sd.failAt === step.stage && step.kind !== 'hooks') {
      sd.failedTasks += Math.max(sd.desiredCount, 1);
      if (target) target.failedTasks = sd.failedTasks;
      this.addEvent(
        s,
        `has started ${sd.desiredCount} tasks: (task ${randomHex(16)}). Task stopped: Essential container in task exited (exit code 1).`,
      );
      return this.beginRollback(
        sd,
        s,
        'CIRCUIT_BREAKER',
        `ECS deployment circuit breaker: tasks of the target revision failed during ${step.stage}.`,
      );
    }
    switch (step.kind) {
      case 'enter':
        this.store.changed();
        return this.scheduleStep(sd, this.phaseMs);
      case 'scale-up':
        sd.targetRunning = sd.desiredCount;
        if (target) target.runningCount = sd.desiredCount;
        this.addEvent(s, `has started ${sd.desiredCount} tasks: (task ${randomHex(16)}).`);
        this.store.changed();
        return this.scheduleStep(sd, this.phaseMs);
      case 'test-traffic':
        sd.testWeight = step.percent;
        this.addEvent(s, `test traffic: ${step.percent}% on the target revision.`);
        this.store.changed();
        return this.scheduleStep(sd, this.phaseMs);
      case 'production-traffic':
        sd.productionWeight = step.percent;
        this.addEvent(s, `production traffic: ${step.percent}% on the target revision.`);
        this.store.changed();
        return this.scheduleStep(sd, this.phaseMs);
      case 'wait':
        // Each configured minute lasts phaseMs (SHIPGATE_SANDBOX_PHASE_MS) in the sandbox.
        this.store.changed();
        return this.scheduleStep(sd, step.minutes * this.phaseMs);
      case 'hooks': {
        const passed = await this.runHooks(sd, s, step.stage);
        if (passed) this.scheduleStep(sd, 1);
        return;
      }
    }
  }

  /**
   * Runs the hooks configured for `stage`, one after the other. "If your function doesn't return a valid
   * hookStatus, or if it fails, Amazon ECS rolls back the deployment"; IN_PROGRESS means "invoke again after
   * callBackDelay seconds (default 30)" (developer guide, Lifecycle hooks for Amazon ECS service
   * deployments). Returns whether the deployment may go on.
   */
  private async runHooks(sd: StoredServiceDeployment, s: StoredService, stage: LifecycleStage) {
    for (const hook of sd.hooks.filter((h) => h.lifecycleStages.includes(stage))) {
      for (let invocation = 1; ; invocation++) {
        const payload = {
          executionDetails: {
            testTrafficWeights: { [sd.source.arn]: 100 - sd.testWeight, [sd.target.arn]: sd.testWeight },
            productionTrafficWeights: {
              [sd.source.arn]: 100 - sd.productionWeight,
              [sd.target.arn]: sd.productionWeight,
            },
            serviceArn: sd.serviceArn,
            targetServiceRevisionArn: sd.target.arn,
          },
          executionId: randomUUID(),
          lifecycleStage: stage,
          resourceArn: sd.arn,
          ...(hook.hookDetails !== undefined ? { hookDetails: hook.hookDetails } : {}),
        };
        let status = 'NO_HOOK_STATUS';
        let delaySeconds = 30;
        try {
          if (!this.invokeHook) throw new Error('no Lambda runtime for lifecycle hooks');
          const answer = (await this.invokeHook(hook.hookTargetArn, payload)) as {
            hookStatus?: unknown;
            callBackDelay?: unknown;
          } | null;
          if (typeof answer?.hookStatus === 'string') status = answer.hookStatus;
          if (typeof answer?.callBackDelay === 'number') delaySeconds = answer.callBackDelay;
        } catch (err) {
          status = `INVOCATION_FAILED (${(err as Error).message.slice(0, 200)})`;
        }
        if (sd.status !== 'IN_PROGRESS' || this.closed) return false;
        sd.hookRuns.push({ stage, hookTargetArn: hook.hookTargetArn, at: epochSeconds(), status });
        sd.updatedAt = epochSeconds();
        this.store.changed();
        if (status === 'SUCCEEDED') break;
        if (status === 'IN_PROGRESS' && invocation < 1000) {
          await new Promise<void>((r) =>
            setTimeout(r, Math.max(1, (delaySeconds / 60) * this.phaseMs)).unref(),
          );
          if (sd.status !== 'IN_PROGRESS' || this.closed) return false;
          continue;
        }
        this.beginRollback(
          sd,
          s,
          'LIFECYCLE_HOOK',
          `Lifecycle hook ${hook.hookTargetArn} at ${stage} returned ${status}: rolling back.`,
        );
        return false;
      }
    }
    return true;
  }

  private succeed(sd: StoredServiceDeployment, s: StoredService): void {
    const now = epochSeconds();
    const target = this.deploymentIn(s, sd.target.deploymentId);
    sd.status = 'SUCCESSFUL';
    sd.statusReason = 'Service deployment completed successfully.';
    sd.lifecycleStage = 'CLEAN_UP';
    sd.finishedAt = sd.updatedAt = now;
    if (target) {
      target.status = 'PRIMARY';
      target.rolloutState = 'COMPLETED';
      target.rolloutStateReason = `ECS deployment ${target.id} completed.`;
      target.runningCount = target.desiredCount;
      target.updatedAt = now;
      s.deployments = [target];
    }
    s.stableTaskDefinition = sd.target.taskDefinition;
    this.addEvent(s, `has stopped ${sd.desiredCount} running tasks of the source revision.`);
    this.addEvent(s, `deployment ${sd.target.deploymentId} deployment completed.`);
    this.addEvent(s, 'has reached a steady state.');
    this.store.changed();
    if (target) this.emit(s, target, 'SERVICE_DEPLOYMENT_COMPLETED', 'INFO', target.rolloutStateReason);
  }

  /**
   * Starts a rollback: the service deployment goes ROLLBACK_REQUESTED, the target's ECS deployment FAILED
   * (SERVICE_DEPLOYMENT_FAILED), and a rollback deployment on the source revision starts
   * (SERVICE_DEPLOYMENT_IN_PROGRESS, "sent for both initial deployments and rollback deployments").
   */
  private beginRollback(
    sd: StoredServiceDeployment,
    s: StoredService,
    cause: RollbackCause,
    reason: string,
  ): void {
    const now = epochSeconds();
    sd.status = 'ROLLBACK_REQUESTED';
    sd.statusReason = reason;
    sd.updatedAt = now;
    sd.rollback = { reason, startedAt: now, serviceRevisionArn: sd.source.arn, cause };
    const target = this.deploymentIn(s, sd.target.deploymentId);
    const rollback = this.startDeploymentSilently(s, sd.source.taskDefinition);
    sd.source.deploymentId = rollback.id;
    if (target) {
      target.rolloutState = 'FAILED';
      target.rolloutStateReason = reason;
      target.updatedAt = now;
    }
    this.addEvent(s, `deployment ${sd.target.deploymentId} deployment failed: ${reason}`);
    this.addEvent(s, `rolling back to deployment ${rollback.id}.`);
    this.store.changed();
    if (target) {
      this.emit(
        s,
        target,
        'SERVICE_DEPLOYMENT_FAILED',
        'ERROR',
        `${reason} Rolling back to deploymentId ${rollback.id}.`,
      );
    }
    this.emit(
      s,
      rollback,
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      'INFO',
      `ECS deployment ${rollback.id} in progress: rolling back.`,
    );
    this.scheduleStep(sd, this.phaseMs);
  }

  private rollbackInProgress(sd: StoredServiceDeployment, s: StoredService): void {
    sd.status = 'ROLLBACK_IN_PROGRESS';
    // Production and test traffic go back to the source revision first.
    sd.productionWeight = 0;
    sd.testWeight = 0;
    this.addEvent(s, 'rollback: production and test traffic back on the source revision.');
    this.store.changed();
    this.scheduleStep(sd, this.phaseMs);
  }

  private rollbackDone(sd: StoredServiceDeployment, s: StoredService): void {
    const now = epochSeconds();
    sd.status = 'ROLLBACK_SUCCESSFUL';
    sd.finishedAt = sd.updatedAt = now;
    sd.targetRunning = 0;
    const rollback = this.deploymentIn(s, sd.source.deploymentId);
    if (rollback) {
      rollback.rolloutState = 'COMPLETED';
      rollback.rolloutStateReason = `ECS deployment ${rollback.id} completed.`;
      rollback.runningCount = rollback.desiredCount;
      rollback.updatedAt = now;
      s.deployments = [rollback];
    }
    s.taskDefinition = sd.source.taskDefinition;
    s.stableTaskDefinition = sd.source.taskDefinition;
    this.addEvent(s, `deployment ${sd.source.deploymentId} deployment completed (rollback).`);
    this.addEvent(s, 'has reached a steady state.');
    this.store.changed();
    if (rollback) this.emit(s, rollback, 'SERVICE_DEPLOYMENT_COMPLETED', 'INFO', rollback.rolloutStateReason);
  }

  private stopped(sd: StoredServiceDeployment, s: StoredService): void {
    const now = epochSeconds();
    sd.status = 'STOPPED';
    sd.stoppedAt = sd.finishedAt = sd.updatedAt = now;
    const target = this.deploymentIn(s, sd.target.deploymentId);
    this.addEvent(s, `deployment ${sd.target.deploymentId} stopped (ABORT) at ${sd.lifecycleStage}.`);
    this.store.changed();
    if (target) this.emit(s, target, 'SERVICE_DEPLOYMENT_FAILED', 'ERROR', sd.statusReason);
  }

  private serviceDeploymentByArn(arn: unknown): StoredServiceDeployment {
    const sd = typeof arn === 'string' ? this.serviceDeploymentStore[arn] : undefined;
    if (!sd) {
      throw new AwsServiceError(
        'ServiceDeploymentNotFoundException',
        `The service deployment ${String(arn)} does not exist.`,
      );
    }
    return sd;
  }

  private listServiceDeployments(input: Record<string, unknown>) {
    const cluster = this.cluster(input.cluster);
    const name = shortName(requireString(input, 'service', 'InvalidParameterException'));
    const s = this.store.data.services[this.serviceKey(cluster.name, name)];
    if (!s) throw new AwsServiceError('ServiceNotFoundException', 'Service not found.');
    const wanted = Array.isArray(input.status) ? new Set(input.status as string[]) : undefined;
    const created = (input.createdAt ?? {}) as { before?: number; after?: number };
    const all = Object.values(this.serviceDeploymentStore)
      .filter((sd) => sd.serviceArn === s.arn)
      .filter((sd) => !wanted || wanted.has(sd.status))
      .filter((sd) => created.after === undefined || sd.createdAt >= Number(created.after))
      .filter((sd) => created.before === undefined || sd.createdAt <= Number(created.before))
      .sort((a, b) => b.createdAt - a.createdAt || (b.arn > a.arn ? 1 : -1))
      .map(briefJson);
    const { page, nextToken } = paginate(all, input.maxResults, input.nextToken, 20);
    return { serviceDeployments: page, nextToken };
  }

  private describeServiceDeployments(input: Record<string, unknown>) {
    const arns = input.serviceDeploymentArns;
    if (!Array.isArray(arns) || arns.length === 0 || arns.length > 20) {
      throw new AwsServiceError(
        'InvalidParameterException',
        'serviceDeploymentArns must list from 1 to 20 service deployment ARNs.',
      );
    }
    const serviceDeployments: unknown[] = [];
    const failures: unknown[] = [];
    for (const arn of arns as string[]) {
      const sd = this.serviceDeploymentStore[arn];
      if (sd) serviceDeployments.push(serviceDeploymentJson(sd));
      else failures.push({ arn, reason: 'MISSING', detail: 'The service deployment does not exist.' });
    }
    return { serviceDeployments, failures };
  }

  /**
   * StopServiceDeployment: ROLLBACK (the default) or ABORT, accepted in PENDING, IN_PROGRESS,
   * STOP_REQUESTED, ROLLBACK_REQUESTED and ROLLBACK_IN_PROGRESS; a stop already under way continues.
   */
  private stopServiceDeployment(input: Record<string, unknown>) {
    const sd = this.serviceDeploymentByArn(input.serviceDeploymentArn);
    const stopType = input.stopType ?? 'ROLLBACK';
    if (stopType !== 'ROLLBACK' && stopType !== 'ABORT') {
      throw new AwsServiceError(
        'InvalidParameterException',
        `stopType must be ABORT or ROLLBACK; received ${String(stopType)}.`,
      );
    }
    if (!STOPPABLE.has(sd.status)) {
      throw new AwsServiceError(
        'ConflictException',
        `The service deployment ${sd.arn} is ${sd.status} and cannot be stopped.`,
      );
    }
    const s = this.serviceOf(sd);
    if (sd.status === 'IN_PROGRESS' || sd.status === 'PENDING') {
      if (s && stopType === 'ROLLBACK') {
        this.cancelTimerKey(sd.arn);
        this.beginRollback(sd, s, 'USER', 'Rollback requested with StopServiceDeployment.');
      } else if (s) {
        this.cancelTimerKey(sd.arn);
        sd.status = 'STOP_REQUESTED';
        sd.statusReason = 'Stop (ABORT) requested with StopServiceDeployment.';
        sd.updatedAt = epochSeconds();
        this.store.changed();
        this.scheduleStep(sd, this.phaseMs);
      }
    }
    return { serviceDeploymentArn: sd.arn };
  }

  /** Every service deployment (read-only view for the console and tests). */
  serviceDeployments(): StoredServiceDeployment[] {
    return Object.values(this.serviceDeploymentStore);
  }

  /**
   * The task definition test traffic reaches on a service: the target revision of a service deployment
   * whose test traffic moved to it, else what runs.
   */
  testTrafficTaskDefinition(cluster: string, service: string): StoredTaskDefinition | undefined {
    const s = this.findService(cluster, service);
    if (!s) return undefined;
    const live = Object.values(this.serviceDeploymentStore).find(
      (sd) => sd.serviceArn === s.arn && !FINAL.has(sd.status) && sd.testWeight > 0,
    );
    if (!live) return this.runningTaskDefinition(cluster, service);
    try {
      return this.resolveTaskDefinition(live.target.taskDefinition);
    } catch {
      return undefined;
    }
  }

  /** Whether the images of a task definition start (per their manifest annotations). */
  private imagesStart(taskDefinition: string): boolean {
    let td: StoredTaskDefinition;
    try {
      td = this.resolveTaskDefinition(taskDefinition);
    } catch {
      return false;
    }
    const containers = (td.body.containerDefinitions ?? []) as { image?: string }[];
    return containers.every((c) => {
      const found = c.image ? this.ecr.resolveReference(c.image) : undefined;
      return !found || this.ecr.behaviour(found.image).rollout !== 'fail';
    });
  }

  private advance(s: StoredService, d: StoredDeployment): void {
    if (d.status !== 'PRIMARY' || d.rolloutState !== 'IN_PROGRESS') return;
    const starts = this.imagesStart(d.taskDefinition);
    d.updatedAt = epochSeconds();
    if (d.phase === 0) {
      d.phase = 1;
      if (starts) {
        d.runningCount = d.desiredCount;
        this.addEvent(s, `has started ${d.desiredCount} tasks: (task ${randomHex(16)}).`);
      } else {
        d.failedTasks += Math.max(d.desiredCount, 1);
        this.addEvent(
          s,
          `has started ${d.desiredCount} tasks: (task ${randomHex(16)}). Task stopped: Essential container in task exited (exit code 1).`,
        );
      }
      this.store.changed();
      this.schedule(s, d);
      return;
    }
    d.phase = 2;
    if (starts) {
      d.rolloutState = 'COMPLETED';
      d.rolloutStateReason = `ECS deployment ${d.id} completed.`;
      const drained = s.deployments.filter((x) => x !== d);
      const stopped = drained.reduce((n, x) => n + x.runningCount, 0);
      s.deployments = [d];
      s.stableTaskDefinition = d.taskDefinition;
      this.logEnd(d, 'COMPLETED');
      if (stopped) this.addEvent(s, `has stopped ${stopped} running tasks: (task ${randomHex(16)}).`);
      this.addEvent(s, `deployment ${d.id} deployment completed.`);
      this.addEvent(s, 'has reached a steady state.');
      this.store.changed();
      this.emit(s, d, 'SERVICE_DEPLOYMENT_COMPLETED', 'INFO', d.rolloutStateReason);
      return;
    }
    const breaker = (s.deploymentConfiguration.deploymentCircuitBreaker ?? {}) as {
      enable?: boolean;
      rollback?: boolean;
    };
    if (!breaker.enable) {
      // Without the circuit breaker ECS keeps trying to start tasks; the deployment never settles.
      d.phase = 0;
      this.store.changed();
      this.schedule(s, d);
      return;
    }
    d.rolloutState = 'FAILED';
    this.logEnd(d, 'FAILED');
    if (d.rollbackTo) {
      d.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
      this.addEvent(s, `deployment ${d.id} deployment failed: tasks failed to start.`);
      this.store.changed();
      const rollback = this.startDeploymentSilently(s, d.rollbackTo);
      this.emit(
        s,
        d,
        'SERVICE_DEPLOYMENT_FAILED',
        'ERROR',
        `ECS deployment circuit breaker: rolling back to deploymentId ${rollback.id}.`,
      );
      this.addEvent(s, `rolling back to deployment ${rollback.id}.`);
      this.emit(s, rollback, 'SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO', rollback.rolloutStateReason);
      this.schedule(s, rollback);
    } else {
      d.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
      this.addEvent(s, `deployment ${d.id} deployment failed: tasks failed to start.`);
      this.store.changed();
      this.emit(s, d, 'SERVICE_DEPLOYMENT_FAILED', 'ERROR', d.rolloutStateReason);
    }
  }

  private startDeploymentSilently(s: StoredService, taskDefinition: string): StoredDeployment {
    const inFlight = s.deployments.filter((x) => x.rolloutState === 'IN_PROGRESS');
    for (const x of s.deployments) x.status = 'ACTIVE';
    const d = this.newDeployment(s, taskDefinition);
    this.logStart(s, d, 'rollback', inFlight);
    d.rolloutStateReason = `ECS deployment ${d.id} in progress.`;
    s.deployments.unshift(d);
    s.taskDefinition = taskDefinition;
    this.store.changed();
    return d;
  }

  private emit(
    s: StoredService,
    d: StoredDeployment,
    eventName: string,
    eventType: 'INFO' | 'ERROR',
    reason: string,
  ): void {
    this.sink(
      eventEnvelope('ECS Deployment State Change', 'aws.ecs', [s.arn], {
        eventType,
        eventName,
        deploymentId: d.id,
        updatedAt: new Date().toISOString(),
        reason,
      }),
    );
  }

  private describeServices(input: Record<string, unknown>) {
    const cluster = this.cluster(input.cluster);
    const names = Array.isArray(input.services) ? (input.services as string[]) : [];
    const services: unknown[] = [];
    const failures: unknown[] = [];
    for (const n of names) {
      const s = this.store.data.services[this.serviceKey(cluster.name, shortName(n))];
      if (s) services.push(this.serviceJson(s));
      else
        failures.push({
          arn: n.startsWith('arn:') ? n : `${arnPrefix}:service/${cluster.name}/${n}`,
          reason: 'MISSING',
        });
    }
    return { services, failures };
  }

  private listServices(input: Record<string, unknown>) {
    const cluster = this.cluster(input.cluster);
    const arns = Object.values(this.store.data.services)
      .filter((s) => s.cluster === cluster.name)
      .map((s) => s.arn);
    const { page, nextToken } = paginate(arns, input.maxResults, input.nextToken, 10);
    return { serviceArns: page, nextToken };
  }

  /**
   * What a service runs when nothing is in flight: the task definition of the PRIMARY deployment once it
   * completed, else the last stable one.
   */
  runningTaskDefinition(cluster: string, service: string): StoredTaskDefinition | undefined {
    const s = this.findService(cluster, service);
    if (!s) return undefined;
    const primary = s.deployments.find((d) => d.status === 'PRIMARY');
    const arn = primary?.rolloutState === 'COMPLETED' ? primary.taskDefinition : s.stableTaskDefinition;
    if (!arn) return undefined;
    try {
      return this.resolveTaskDefinition(arn);
    } catch {
      return undefined;
    }
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
    const s = this.findService(cluster, service);
    if (!s) return;
    const now = epochSeconds();
    if (succeeded) {
      s.taskDefinition = taskDefinition;
      s.stableTaskDefinition = taskDefinition;
      s.deployments = [
        {
          ...this.newDeployment(s, taskDefinition),
          runningCount: s.desiredCount,
          rolloutState: 'COMPLETED',
          rolloutStateReason: 'CodeDeploy deployment succeeded.',
          createdAt: now,
          updatedAt: now,
          phase: 2,
        },
      ];
      this.addEvent(s, 'updated state to STEADY_STATE: replacement task set is primary.');
    } else {
      this.addEvent(
        s,
        'CodeDeploy deployment failed: replacement task set tasks failed to start; traffic stayed on the original task set.',
      );
    }
    this.store.changed();
  }

  /** Whether a task definition's images start (exposed for CodeDeploy emulation). */
  canStart(taskDefinition: string): boolean {
    return this.imagesStart(taskDefinition);
  }

  /** The deployment log, oldest first (see {@link DeploymentLogEntry}). */
  deploymentLog(): readonly DeploymentLogEntry[] {
    return this.store.data.deploymentLog ?? [];
  }

  private logStart(
    s: StoredService,
    d: StoredDeployment,
    kind: DeploymentLogEntry['kind'],
    inFlight: StoredDeployment[],
  ): void {
    const log = (this.store.data.deploymentLog ??= []);
    log.push({
      service: s.arn,
      deploymentId: d.id,
      taskDefinition: d.taskDefinition,
      kind,
      startedAt: Date.now(),
      outcome: 'IN_PROGRESS',
      overlapped: inFlight.map((x) => x.id),
    });
    if (log.length > DEPLOYMENT_LOG_LIMIT) log.splice(0, log.length - DEPLOYMENT_LOG_LIMIT);
    this.store.changed();
  }

  private logEnd(d: StoredDeployment, outcome: DeploymentLogEntry['outcome']): void {
    const log = this.store.data.deploymentLog ?? [];
    for (let i = log.length - 1; i >= 0; i--) {
      if (log[i].deploymentId === d.id) {
        if (log[i].outcome === 'IN_PROGRESS') Object.assign(log[i], { outcome, endedAt: Date.now() });
        break;
      }
    }
    this.store.changed();
  }

  /** All services (read-only view for the console). */
  services(): StoredService[] {
    return Object.values(this.store.data.services);
  }
}
