import { ignoreChanges, parseFile, resourcesOfType, type Block } from '../unit/terraform/hcl';

/**
 * Who owns each setting of an ECS service: the one table behind docs/architecture.md ("Who owns each ECS
 * service setting") and the tests that hold Terraform (`aws_ecs_service` in terraform/modules/ecs-service) and
 * Shipgate (the `UpdateService` requests its bundles send) to it.
 *
 * Each row maps an `UpdateService` request field (botocore `UpdateServiceRequest`; members of
 * `deploymentConfiguration` as `deploymentConfiguration.<member>`) to the `aws_ecs_service` argument that
 * holds it (the Terraform AWS provider's schema: registry docs `resources/ecs_service#<name>`), and says who
 * sets it after the service exists.
 */

/** Who sets a setting once the service exists. */
export type Owner =
  /** Terraform: Shipgate never sends it; Terraform manages it and does not ignore it. */
  | 'terraform'
  /** Shipgate, with every rollout: Terraform sets it only at creation and ignores it after (or never sets it). */
  | 'shipgate'
  /** Application Auto Scaling: Terraform sets the first value and ignores it; Shipgate never sends it. */
  | 'autoscaling'
  /** ECS itself during blue/green traffic shifts: Terraform creates it and ignores it; Shipgate never sends it. */
  | 'ecs'
  /** Names the service in the call; not a setting (both sides use it, neither changes it). */
  | 'identifier';

/** One row of the ownership table. */
export interface OwnershipRow {
  /** `UpdateService` request field, e.g. `deploymentConfiguration.strategy`; null for Terraform-only arguments. */
  readonly api: string | null;
  /** Top-level `aws_ecs_service` argument or block (what `ignore_changes` can name). */
  readonly hcl: string;
  readonly owner: Owner;
  /**
   * Who owns it on a ROLLING service (`aws_ecs_service.this`) when that differs: ECS moves the load balancer's
   * target groups only while it shifts traffic. @default owner
   */
  readonly rollingOwner?: Owner;
  /** Why, in one sentence. */
  readonly why: string;
}

const PER_ROLLOUT =
  'Shipgate sends the whole deploymentConfiguration with every UpdateService, from the config and the contract';

/** The table. Order is the order of docs/architecture.md. */
export const ECS_SERVICE_OWNERSHIP: readonly OwnershipRow[] = [
  {
    api: 'cluster',
    hcl: 'cluster',
    owner: 'identifier',
    why: 'Names the service; Terraform creates it in its cluster.',
  },
  {
    api: 'service',
    hcl: 'name',
    owner: 'identifier',
    why: 'Names the service; Terraform names it after the config’s service.',
  },
  {
    api: 'taskDefinition',
    hcl: 'task_definition',
    owner: 'shipgate',
    why: 'Every rollout registers the revision pinned by digest; Terraform only registers the bootstrap revision.',
  },
  {
    api: 'desiredCount',
    hcl: 'desired_count',
    owner: 'autoscaling',
    why: 'Target tracking moves the count; Terraform gives the first value.',
  },
  {
    api: 'deploymentConfiguration.strategy',
    hcl: 'deployment_configuration',
    owner: 'shipgate',
    why: `The config may pick another ECS strategy per environment; ${PER_ROLLOUT}.`,
  },
  {
    api: 'deploymentConfiguration.bakeTimeInMinutes',
    hcl: 'deployment_configuration',
    owner: 'shipgate',
    why: 'The config’s bakeTime, per environment.',
  },
  {
    api: 'deploymentConfiguration.canaryConfiguration',
    hcl: 'deployment_configuration',
    owner: 'shipgate',
    why: 'The config’s canaryPercent and bake, per environment.',
  },
  {
    api: 'deploymentConfiguration.linearConfiguration',
    hcl: 'deployment_configuration',
    owner: 'shipgate',
    why: 'The config’s linearStepPercent and bake, per environment.',
  },
  {
    api: 'deploymentConfiguration.lifecycleHooks',
    hcl: 'deployment_configuration',
    owner: 'shipgate',
    why: 'Per deployment: the contract’s hooks, the environment’s verify hook and the config’s pauses; the provider’s lifecycle_hook cannot declare a PAUSE hook (it requires a target and a role).',
  },
  {
    api: 'deploymentConfiguration.deploymentCircuitBreaker',
    hcl: 'deployment_circuit_breaker',
    owner: 'shipgate',
    why: 'Always on with rollback: a rollout never runs without it.',
  },
  {
    api: 'deploymentConfiguration.alarms',
    hcl: 'alarms',
    owner: 'shipgate',
    why: 'The contract’s alarms with rollback, so a changed alarm list reaches the next rollout without an apply.',
  },
  {
    api: 'deploymentConfiguration.maximumPercent',
    hcl: 'deployment_maximum_percent',
    owner: 'shipgate',
    why: 'Part of the deploymentConfiguration Shipgate sends; it keeps the value the service was created with.',
  },
  {
    api: 'deploymentConfiguration.minimumHealthyPercent',
    hcl: 'deployment_minimum_healthy_percent',
    owner: 'shipgate',
    why: 'As maximumPercent.',
  },
  {
    api: 'loadBalancers',
    hcl: 'load_balancer',
    owner: 'ecs',
    rollingOwner: 'terraform',
    why: 'Terraform wires the target groups and listener rules; ECS and CodeDeploy swap the target groups while they shift traffic (a ROLLING service keeps its one target group, so there Terraform owns it).',
  },
  {
    api: 'capacityProviderStrategy',
    hcl: 'capacity_provider_strategy',
    owner: 'terraform',
    why: 'Where tasks run is the cluster’s design.',
  },
  {
    api: 'networkConfiguration',
    hcl: 'network_configuration',
    owner: 'terraform',
    why: 'Subnets and security groups are the VPC’s.',
  },
  {
    api: 'healthCheckGracePeriodSeconds',
    hcl: 'health_check_grace_period_seconds',
    owner: 'terraform',
    why: 'Tuned with the target groups’ health checks.',
  },
  {
    api: 'deploymentController',
    hcl: 'deployment_controller',
    owner: 'terraform',
    why: 'ECS or CODE_DEPLOY decides how the infrastructure is built; a rollout cannot change it.',
  },
  {
    api: 'availabilityZoneRebalancing',
    hcl: 'availability_zone_rebalancing',
    owner: 'terraform',
    why: 'Placement policy of the service.',
  },
  {
    api: 'enableExecuteCommand',
    hcl: 'enable_execute_command',
    owner: 'terraform',
    why: 'Access policy, audited with the task role.',
  },
  { api: 'enableECSManagedTags', hcl: 'enable_ecs_managed_tags', owner: 'terraform', why: 'Tagging policy.' },
  { api: 'propagateTags', hcl: 'propagate_tags', owner: 'terraform', why: 'Tagging policy.' },
  { api: 'placementConstraints', hcl: 'placement_constraints', owner: 'terraform', why: 'Placement policy.' },
  {
    api: 'placementStrategy',
    hcl: 'ordered_placement_strategy',
    owner: 'terraform',
    why: 'Placement policy.',
  },
  {
    api: 'platformVersion',
    hcl: 'platform_version',
    owner: 'terraform',
    why: 'Fargate platform of the service.',
  },
  {
    api: 'serviceRegistries',
    hcl: 'service_registries',
    owner: 'terraform',
    why: 'Service discovery wiring.',
  },
  {
    api: 'serviceConnectConfiguration',
    hcl: 'service_connect_configuration',
    owner: 'terraform',
    why: 'Service mesh wiring.',
  },
  { api: 'volumeConfigurations', hcl: 'volume_configuration', owner: 'terraform', why: 'Storage wiring.' },
  {
    api: 'vpcLatticeConfigurations',
    hcl: 'vpc_lattice_configurations',
    owner: 'terraform',
    why: 'Network wiring.',
  },
  {
    api: 'forceNewDeployment',
    hcl: 'force_new_deployment',
    owner: 'terraform',
    why: 'Shipgate deploys a new task definition, never a forced redeploy; Terraform leaves it unset.',
  },
  {
    api: null,
    hcl: 'tags',
    owner: 'terraform',
    why: 'Tags of the service (UpdateService does not take them).',
  },
];

/**
 * Terraform meta-arguments and blocks that are not settings of the service (`count`, `lifecycle`, …), skipped
 * when reading `aws_ecs_service` bodies.
 */
export const TERRAFORM_META = [
  'count',
  'for_each',
  'lifecycle',
  'depends_on',
  'provider',
  'dynamic',
] as const;

/**
 * The request fields of one `UpdateService` call in the table's notation: top-level members, and
 * `deploymentConfiguration.<member>` for the members of the deployment configuration.
 * @example requestFields({ cluster: 'c', deploymentConfiguration: { strategy: 'CANARY' } })
 *   // ['cluster', 'deploymentConfiguration.strategy']
 */
export function requestFields(input: Record<string, unknown>): string[] {
  return Object.entries(input)
    .filter(([, v]) => v !== undefined && v !== null)
    .flatMap(([k, v]) =>
      k === 'deploymentConfiguration' && typeof v === 'object'
        ? Object.keys(v as object).map((m) => `deploymentConfiguration.${m}`)
        : [k],
    )
    .sort();
}

/** The owner column of docs/architecture.md for a row. */
export function ownerText(row: OwnershipRow): string {
  return row.rollingOwner ? `${row.owner} (${row.rollingOwner} on ROLLING services)` : row.owner;
}

/** The table's row for a request field, or undefined when the table does not know it. */
export function rowForField(field: string): OwnershipRow | undefined {
  return ECS_SERVICE_OWNERSHIP.find((r) => r.api === field);
}

/** The rows of an `aws_ecs_service` argument. */
export function rowsForArgument(hcl: string): OwnershipRow[] {
  return ECS_SERVICE_OWNERSHIP.filter((r) => r.hcl === hcl);
}

/** Owners that mean "Terraform must not fight it": it is ignored after creation, or not managed at all. */
export const NOT_TERRAFORMS: readonly Owner[] = ['shipgate', 'autoscaling', 'ecs'];

/** Owners whose fields Shipgate may put in an `UpdateService` request. */
export const SHIPGATE_SENDS: readonly Owner[] = ['shipgate', 'identifier'];

/** What Terraform does with one `aws_ecs_service` resource: the arguments it sets and those it ignores. */
export interface TerraformEcsService {
  /** `<file>: aws_ecs_service.<name>` */
  readonly at: string;
  /** Whether it is the ROLLING variant (`aws_ecs_service.this`, no traffic shifting). */
  readonly rolling: boolean;
  /** Top-level arguments and blocks it sets (static or `dynamic`). */
  readonly managed: readonly string[];
  /** `lifecycle { ignore_changes }`. */
  readonly ignored: readonly string[];
}

/**
 * Holds captured `UpdateService` requests against the table and Terraform: every field Shipgate sent must be
 * one the table gives Shipgate (or an identifier), and Terraform must ignore it or not manage it.
 * @returns one line per violation (empty when both sides follow the table).
 */
export function requestViolations(
  requests: readonly Record<string, unknown>[],
  services: readonly TerraformEcsService[],
): string[] {
  const out = new Set<string>();
  for (const request of requests) {
    for (const field of requestFields(request)) {
      const row = rowForField(field);
      if (!row) {
        out.add(`Shipgate sent ${field}, which the ownership table does not list`);
        continue;
      }
      if (!SHIPGATE_SENDS.includes(row.owner)) {
        out.add(`Shipgate sent ${field}, which the table gives to ${row.owner}`);
        continue;
      }
      if (row.owner === 'identifier') continue;
      if (row.rollingOwner && !SHIPGATE_SENDS.includes(row.rollingOwner)) {
        out.add(`Shipgate sent ${field}, which the table gives to ${row.rollingOwner} on ROLLING services`);
      }
      for (const s of services) {
        if (s.managed.includes(row.hcl) && !s.ignored.includes(row.hcl)) {
          out.add(`Shipgate sent ${field}, but ${s.at} manages ${row.hcl} without ignoring it`);
        }
      }
    }
  }
  return [...out];
}

/**
 * Holds Terraform's `aws_ecs_service` resources to the table: each argument they set is in the table; what
 * the table gives to Shipgate, autoscaling or ECS is ignored after creation; what it gives to Terraform is
 * not ignored (someone must enforce it).
 * @returns one line per violation.
 */
export function terraformViolations(services: readonly TerraformEcsService[]): string[] {
  const out: string[] = [];
  for (const s of services) {
    for (const arg of s.managed) {
      const rows = rowsForArgument(arg);
      if (rows.length === 0) {
        out.push(`${s.at} sets ${arg}, which the ownership table does not list`);
        continue;
      }
      const owners = new Set(rows.map((r) => (s.rolling ? (r.rollingOwner ?? r.owner) : r.owner)));
      const notTerraforms = [...owners].filter((o) => NOT_TERRAFORMS.includes(o));
      if (notTerraforms.length > 0 && !s.ignored.includes(arg)) {
        out.push(`${s.at} sets ${arg} (owned by ${notTerraforms.join(', ')}) without ignore_changes`);
      }
      if (owners.has('terraform') && s.ignored.includes(arg)) {
        out.push(`${s.at} ignores ${arg}, which Terraform owns: nobody would enforce it`);
      }
    }
    for (const arg of s.ignored) {
      if (rowsForArgument(arg).length === 0)
        out.push(`${s.at} ignores ${arg}, which the table does not list`);
    }
  }
  return out;
}

/** The `aws_ecs_service` resources of terraform/modules/ecs-service, as {@link TerraformEcsService}s. */
export async function readTerraformEcsServices(): Promise<TerraformEcsService[]> {
  const file = await parseFile('modules/ecs-service/main.tf');
  return resourcesOfType([file], 'aws_ecs_service').map((r) => ({
    at: `${r.file}: aws_ecs_service.${r.name}`,
    rolling: r.name === 'this',
    managed: [
      ...Object.keys(r.body).filter((k) => !(TERRAFORM_META as readonly string[]).includes(k)),
      ...Object.keys((r.body.dynamic ?? {}) as Record<string, Block[]>),
    ].sort(),
    ignored: ignoreChanges(r.body),
  }));
}
