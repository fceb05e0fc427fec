import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  type DeploymentInfo,
} from '@aws-sdk/client-codedeploy';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { ContractError, NotFoundError } from '../../shared/errors';
import { logger } from '../../shared/logger';
import type { RolloutDeps } from './deps';
import { shortTaskDefinition } from './contract';
import { ImageNotPinned, RolloutFailed } from './errors';
import {
  buildCreateDeploymentInput,
  buildDeploymentConfiguration,
  buildRollbackDeploymentConfiguration,
  configurationBetweenDeployments,
  TRAFFIC_SHIFTING,
  type RolloutPlan,
} from './strategy';
import { DIGEST_PATTERN } from './types';

/**
 * The ECS side of a rollout: read the service, register a digest-pinned copy of its task definition,
 * and start the deployment (UpdateService or CodeDeploy CreateDeployment).
 */

/** Fields of a described task definition that RegisterTaskDefinition accepts (everything else is read-only). */
const REGISTER_FIELDS = [
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'containerDefinitions',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
] as const satisfies readonly (keyof RegisterTaskDefinitionCommandInput & keyof TaskDefinition)[];

/**
 * Docker label the Terraform module `ecs-service` puts on its bootstrap container (nginx answering 200
 * everywhere): the comma-separated container-definition keys it overrode, e.g. `command,entryPoint`.
 */
export const BOOTSTRAP_OVERRIDES_LABEL = 'org.shipgate.bootstrap-overrides';

/**
 * Container-definition keys a bootstrap label may name. Anything else in the label is ignored (never
 * drop `image`, `name`, `portMappings`… because a label said so).
 */
const DROPPABLE_BOOTSTRAP_KEYS = new Set([
  'command',
  'entryPoint',
  'workingDirectory',
  'healthCheck',
  'user',
]);

/**
 * The container definition the first real revision gets from a bootstrap one: the keys listed in the
 * {@link BOOTSTRAP_OVERRIDES_LABEL} label (only those of `DROPPABLE_BOOTSTRAP_KEYS`) and the label
 * itself are removed, so the app image runs its own entrypoint and command. A container without the
 * label is returned unchanged.
 * @example withoutBootstrapOverrides({ name: 'web', command: ['…'], dockerLabels: { 'org.shipgate.bootstrap-overrides': 'command' } })
 *   // → { name: 'web' }
 */
export function withoutBootstrapOverrides<T extends { dockerLabels?: Record<string, string> }>(
  container: T,
): T {
  const label = container.dockerLabels?.[BOOTSTRAP_OVERRIDES_LABEL];
  if (label === undefined) return container;
  const copy: Record<string, unknown> = { ...container };
  for (const key of label.split(',').map((k) => k.trim())) {
    if (DROPPABLE_BOOTSTRAP_KEYS.has(key)) delete copy[key];
  }
  const { [BOOTSTRAP_OVERRIDES_LABEL]: _dropped, ...labels } = container.dockerLabels ?? {};
  if (Object.keys(labels).length > 0) copy.dockerLabels = labels;
  else delete copy.dockerLabels;
  return copy as T;
}

/**
 * Checks that an image is pinned by digest: `digest` is `sha256:<64 hex>` and `imageUri` ends with
 * `@<digest>`. A tag never reaches ECS.
 * @throws ImageNotPinned with the values received.
 */
export function assertPinned(image: { service: string; digest: string; imageUri: string }): void {
  if (!DIGEST_PATTERN.test(image.digest)) {
    throw new ImageNotPinned(
      `Image of "${image.service}" is not pinned by digest: digest is "${image.digest}", expected "sha256:" and 64 hex digits. "Resolve release" must resolve tags to digests before any rollout.`,
    );
  }
  if (!image.imageUri.endsWith(`@${image.digest}`)) {
    throw new ImageNotPinned(
      `Image URI of "${image.service}" is "${image.imageUri}", expected "<registry>/<repository>@${image.digest}" (by digest, never by tag).`,
    );
  }
}

/** Describes the ECS service of a plan. @throws NotFoundError when ECS does not know it (or it is not ACTIVE). */
export async function describeService(
  plan: Pick<RolloutPlan, 'cluster' | 'ecsService' | 'service' | 'environment'>,
  deps: Pick<RolloutDeps, 'ecs'>,
): Promise<Service> {
  const out = await deps.ecs.send(
    new DescribeServicesCommand({ cluster: plan.cluster, services: [plan.ecsService] }),
  );
  const svc = out.services?.[0];
  if (!svc || (svc.status && svc.status !== 'ACTIVE')) {
    const why = out.failures?.[0]?.reason ?? svc?.status ?? 'not returned';
    throw new NotFoundError(
      `ECS service ${plan.ecsService} in cluster ${plan.cluster} (service "${plan.service}", environment "${plan.environment}") is not usable: ${why}. Check the deploy contract and the Terraform environment.`,
    );
  }
  return svc;
}

/**
 * The task definition a service runs now: the PRIMARY task set's (CodeDeploy services) or the PRIMARY
 * deployment's, falling back to `service.taskDefinition`.
 */
export function currentTaskDefinition(svc: Service): string {
  const fromTaskSet = svc.taskSets?.find((t) => t.status === 'PRIMARY')?.taskDefinition;
  const fromDeployment = svc.deployments?.find((d) => d.status === 'PRIMARY')?.taskDefinition;
  const arn = fromTaskSet ?? fromDeployment ?? svc.taskDefinition;
  if (!arn) {
    throw new NotFoundError(`ECS service ${svc.serviceName ?? '(unnamed)'} reports no task definition.`);
  }
  return arn;
}

/**
 * Registers a copy of `baseArn` in which only `containerName`'s image is replaced by `imageUri`
 * (read-only fields stripped, tags kept). When that container is the Terraform bootstrap one (label
 * {@link BOOTSTRAP_OVERRIDES_LABEL}), the overrides it lists and the label are dropped too, so the app
 * image runs its own entrypoint. Returns the new revision's ARN.
 * @throws ContractError when the task definition has no such container.
 */
export async function registerPinnedCopy(
  baseArn: string,
  containerName: string,
  imageUri: string,
  deps: Pick<RolloutDeps, 'ecs'>,
): Promise<string> {
  const described = await deps.ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: baseArn, include: ['TAGS'] }),
  );
  const td = described.taskDefinition;
  if (!td) throw new NotFoundError(`Task definition ${baseArn} was not returned by DescribeTaskDefinition.`);
  const containers = td.containerDefinitions ?? [];
  if (!containers.some((c) => c.name === containerName)) {
    throw new ContractError(
      `Task definition ${shortTaskDefinition(baseArn)} has no container "${containerName}" (it has: ${containers.map((c) => c.name).join(', ') || 'none'}). Fix containerName in the deploy contract.`,
    );
  }
  const input: Record<string, unknown> = {};
  for (const field of REGISTER_FIELDS) {
    if (td[field] !== undefined) input[field] = td[field];
  }
  input.containerDefinitions = containers.map((c) => {
    if (c.name !== containerName) return c;
    const bootstrap = c.dockerLabels?.[BOOTSTRAP_OVERRIDES_LABEL];
    if (bootstrap !== undefined) {
      logger.info('bootstrap overrides dropped from the pinned copy', {
        taskDefinition: shortTaskDefinition(baseArn),
        container: containerName,
        overrides: bootstrap,
      });
    }
    return { ...withoutBootstrapOverrides(c), image: imageUri };
  });
  if (described.tags?.length) input.tags = described.tags;
  const registered = await deps.ecs.send(
    new RegisterTaskDefinitionCommand(input as unknown as RegisterTaskDefinitionCommandInput),
  );
  const arn = registered.taskDefinition?.taskDefinitionArn;
  if (!arn) throw new RolloutFailed(`RegisterTaskDefinition for ${td.family} returned no ARN.`);
  return arn;
}

/** What {@link startDeployment} started. */
export interface StartedDeployment {
  /** The ECS deployment id (`ecs-svc/…`) or the CodeDeploy deployment id. */
  deploymentId: string;
  /** Blue/green family: the service deployment (`service.currentServiceDeployment` of UpdateService's answer). */
  serviceDeploymentArn?: string;
}

/**
 * Starts the deployment of `taskDefinitionArn`: UpdateService with the strategy's deployment
 * configuration, or CodeDeploy CreateDeployment with an ECS AppSpec. Returns the deployment id ECS or
 * CodeDeploy gave it (what deployment events carry) and, for the blue/green family, the service deployment.
 * With `rollback`, the deployment uses {@link buildRollbackDeploymentConfiguration} (no pause, no bake).
 * @throws RolloutFailed when ECS or CodeDeploy refuses the deployment (the message says which and why).
 */
export async function startDeployment(
  plan: RolloutPlan,
  svc: Service,
  taskDefinitionArn: string,
  description: string,
  deps: Pick<RolloutDeps, 'ecs' | 'codeDeploy'>,
  options: { rollback?: boolean } = {},
): Promise<StartedDeployment> {
  try {
    if (plan.strategy === 'CODEDEPLOY') {
      const out = await deps.codeDeploy.send(
        new CreateDeploymentCommand(buildCreateDeploymentInput(plan, taskDefinitionArn, description)),
      );
      if (!out.deploymentId) throw new Error('CreateDeployment returned no deploymentId');
      return { deploymentId: out.deploymentId };
    }
    const out = await deps.ecs.send(
      new UpdateServiceCommand({
        cluster: plan.cluster,
        service: plan.ecsService,
        taskDefinition: taskDefinitionArn,
        // A rolling rollback keeps the service's settings (a rolling deployment has no bake or pause).
        ...(options.rollback && !TRAFFIC_SHIFTING.includes(plan.strategy)
          ? {}
          : {
              deploymentConfiguration: options.rollback
                ? buildRollbackDeploymentConfiguration(plan, svc.deploymentConfiguration)
                : buildDeploymentConfiguration(plan, svc.deploymentConfiguration),
            }),
      }),
    );
    const primary = out.service?.deployments?.find((d) => d.status === 'PRIMARY');
    if (!primary?.id) throw new Error('UpdateService returned no PRIMARY deployment');
    if (primary.taskDefinition && primary.taskDefinition !== taskDefinitionArn) {
      throw new Error(
        `UpdateService's PRIMARY deployment runs ${shortTaskDefinition(primary.taskDefinition)}, not ${shortTaskDefinition(taskDefinitionArn)}`,
      );
    }
    // The service deployment this UpdateService started (blue/green family): ECS names it on the service it
    // returns. ListServiceDeployments documents no order, so "the first one listed" would be a guess.
    const serviceDeploymentArn = TRAFFIC_SHIFTING.includes(plan.strategy)
      ? out.service?.currentServiceDeployment
      : undefined;
    return { deploymentId: primary.id, ...(serviceDeploymentArn ? { serviceDeploymentArn } : {}) };
  } catch (err) {
    const api = plan.strategy === 'CODEDEPLOY' ? 'CodeDeploy CreateDeployment' : 'ECS UpdateService';
    throw new RolloutFailed(
      `${api} for "${plan.service}" in "${plan.environment}" was refused: ${(err as Error).message}. The service still runs its previous revision.`,
      { cause: err },
    );
  }
}

/** One GetDeployment for a CodeDeploy deployment. */
export async function getCodeDeployDeployment(
  deploymentId: string,
  deps: Pick<RolloutDeps, 'codeDeploy'>,
): Promise<DeploymentInfo> {
  const out = await deps.codeDeploy.send(new GetDeploymentCommand({ deploymentId }));
  if (!out.deploymentInfo) throw new NotFoundError(`CodeDeploy deployment ${deploymentId} was not found.`);
  return out.deploymentInfo;
}

/**
 * Once a Shipgate deployment of the blue/green family ended: takes its per-deployment settings off the service
 * ({@link configurationBetweenDeployments}: PAUSE hooks, alarms a rollback switched off) with an UpdateService
 * that changes only `deploymentConfiguration`, which starts no deployment. Called while the rollout lock is
 * still held, so it never races the next release's UpdateService. Best effort: a failure is logged (the next
 * Shipgate rollout sends its own settings anyway) and reported as `false`.
 */
export async function restoreBetweenDeployments(
  target: { cluster: string; service: string; strategy: string },
  deps: Pick<RolloutDeps, 'ecs'>,
): Promise<boolean> {
  if (!TRAFFIC_SHIFTING.includes(target.strategy as RolloutPlan['strategy'])) return true;
  try {
    const out = await deps.ecs.send(
      new DescribeServicesCommand({ cluster: target.cluster, services: [target.service] }),
    );
    const next = configurationBetweenDeployments(out.services?.[0]?.deploymentConfiguration);
    if (!next) return true;
    await deps.ecs.send(
      new UpdateServiceCommand({
        cluster: target.cluster,
        service: target.service,
        deploymentConfiguration: next,
      }),
    );
    logger.info('per-deployment settings taken off the service', {
      cluster: target.cluster,
      serviceName: target.service,
    });
    return true;
  } catch (err) {
    logger.warn('could not take the per-deployment settings off the service', {
      cluster: target.cluster,
      serviceName: target.service,
      error: (err as Error).name,
      message: (err as Error).message.slice(0, 300),
    });
    return false;
  }
}
