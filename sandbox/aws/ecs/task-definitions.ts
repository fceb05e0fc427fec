import { AwsServiceError, epochSeconds, requireString } from '../protocol';
import type { EcsContext } from './context';
import { arnPrefix, type StoredTaskDefinition } from './model';
import type { LifecycleStage } from './service-deployment-model';

/**
 * Task-definition revisions (RegisterTaskDefinition, DescribeTaskDefinition) and what their images ask the
 * sandbox to do when they start, read through the {@link ImageRegistry} port.
 */

/** RegisterTaskDefinition: a new revision of `family`. */
export function registerTaskDefinition(ctx: EcsContext, input: Record<string, unknown>) {
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
  const revisions = (ctx.store.data.taskDefinitions[family] ??= []);
  const revision = revisions.length + 1;
  const body = { ...input };
  delete body.tags;
  const td: StoredTaskDefinition = {
    arn: `${arnPrefix(ctx)}:task-definition/${family}:${revision}`,
    family,
    revision,
    registeredAt: epochSeconds(),
    body,
  };
  revisions.push(td);
  ctx.store.changed();
  return { taskDefinition: taskDefinitionJson(td), tags: Array.isArray(input.tags) ? input.tags : [] };
}

/** The TaskDefinition shape the API returns. */
export function taskDefinitionJson(td: StoredTaskDefinition) {
  return {
    ...td.body,
    taskDefinitionArn: td.arn,
    family: td.family,
    revision: td.revision,
    status: 'ACTIVE',
    compatibilities: ['EC2', 'FARGATE'],
    registeredAt: td.registeredAt,
    registeredBy: `arn:aws:iam::${td.arn.split(':')[4]}:user/shipgate-sandbox`,
  };
}

/** Resolves `family`, `family:revision` or a task-definition ARN. */
export function resolveTaskDefinition(ctx: EcsContext, ref: string): StoredTaskDefinition {
  const tail = ref.startsWith('arn:')
    ? ref.slice(ref.indexOf('task-definition/') + 'task-definition/'.length)
    : ref;
  const [family, rev] = tail.split(':');
  const revisions = ctx.store.data.taskDefinitions[family] ?? [];
  const td = rev === undefined ? revisions[revisions.length - 1] : revisions[Number(rev) - 1];
  if (!td) {
    throw new AwsServiceError(
      'ClientException',
      `Unable to describe task definition: ${ref} does not exist.`,
    );
  }
  return td;
}

/** The task definition `ref` names, or undefined when it does not exist. */
export function findTaskDefinition(ctx: EcsContext, ref: string): StoredTaskDefinition | undefined {
  try {
    return resolveTaskDefinition(ctx, ref);
  } catch {
    return undefined;
  }
}

/** Whether the images of a task definition start (per their manifest annotations). */
export function imagesStart(ctx: EcsContext, taskDefinition: string): boolean {
  let td: StoredTaskDefinition;
  try {
    td = resolveTaskDefinition(ctx, taskDefinition);
  } catch {
    return false;
  }
  const containers = (td.body.containerDefinitions ?? []) as { image?: string }[];
  return containers.every((c) => {
    const behaviour = c.image ? ctx.images.imageBehaviour(c.image) : undefined;
    return !behaviour || behaviour.rollout !== 'fail';
  });
}

/**
 * The stage at which the target's tasks fail in this cluster, from the image annotation
 * `org.shipgate.sandbox.fail-at` (`<STAGE>` or `<STAGE>@<environment>`; the environment matches the
 * cluster `shipgate-<environment>` or the cluster name itself). A plain `fail` fails at SCALE_UP.
 */
export function failStage(
  ctx: EcsContext,
  taskDefinition: string,
  cluster: string,
): LifecycleStage | undefined {
  let td: StoredTaskDefinition;
  try {
    td = resolveTaskDefinition(ctx, taskDefinition);
  } catch {
    return 'SCALE_UP';
  }
  for (const c of (td.body.containerDefinitions ?? []) as { image?: string }[]) {
    const behaviour = c.image ? ctx.images.imageBehaviour(c.image) : undefined;
    if (!behaviour) continue;
    if (behaviour.rollout === 'fail') return 'SCALE_UP';
    const at = behaviour.failAt;
    if (at && (!at.environment || at.environment === cluster || `shipgate-${at.environment}` === cluster)) {
      return at.stage as LifecycleStage;
    }
  }
  return undefined;
}
