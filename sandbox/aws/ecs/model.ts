import { SANDBOX_REGION } from '../protocol';
import type { StoredServiceDeployment } from './service-deployment-model';

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
  /** ARN of the service deployment the last UpdateService started (Service.currentServiceDeployment). */
  currentServiceDeployment?: string;
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

/**
 * What ECS needs of a container registry: how the image a container definition names asks the sandbox to
 * behave, or undefined when the registry does not hold it. The sandbox's ECR emulator implements it; ECS
 * knows nothing else of ECR.
 */
export interface ImageRegistry {
  imageBehaviour(
    reference: string,
  ): { rollout: string; failAt?: { stage: string; environment?: string } } | undefined;
}

/** ARN prefix of the emulated ECS resources of an account (`arn:aws:ecs:<region>:<account>`). */
export function arnPrefix(ctx: { readonly account: string }): string {
  return `arn:aws:ecs:${SANDBOX_REGION}:${ctx.account}`;
}

/** The `arn:aws:ecs:<region>:<account>` part of an ECS ARN (a resource knows its own account). */
export function arnPrefixOf(arn: string): string {
  return arn.split(':').slice(0, 5).join(':');
}

/** Name part of an ECS cluster/service given by name or ARN. */
export function shortName(value: string): string {
  return value.includes('/') ? value.slice(value.lastIndexOf('/') + 1) : value;
}

/** Key of a service in {@link EcsState.services}. */
export function serviceKey(cluster: string, service: string): string {
  return `${cluster}/${service}`;
}

/** The service deployments of the blue/green family, by ARN (created on first use). */
export function serviceDeploymentStore(state: EcsState): Record<string, StoredServiceDeployment> {
  return (state.serviceDeployments ??= {});
}

/** The service a service deployment belongs to, if it still exists. */
export function serviceOf(state: EcsState, sd: StoredServiceDeployment): StoredService | undefined {
  return Object.values(state.services).find((x) => x.arn === sd.serviceArn);
}

/** The ECS deployment `id` of a service's `deployments` array, if it is still there. */
export function deploymentIn(s: StoredService, id: string): StoredDeployment | undefined {
  return s.deployments.find((d) => d.id === id);
}
