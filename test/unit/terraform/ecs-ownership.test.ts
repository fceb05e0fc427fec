import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDeploymentConfiguration, planRollout } from '../../../lambdas/domain/rollout/strategy';
import type { ShipgateConfig } from '../../../lambdas/shared/config';
import { parseConfig } from '../../../lambdas/shared/config';
import type { DeployContract } from '../../../lambdas/shared/contract';
import {
  ECS_SERVICE_OWNERSHIP,
  ownerText,
  readTerraformEcsServices,
  requestViolations,
  terraformViolations,
  type TerraformEcsService,
} from '../../helpers/ecs-service-ownership';
import { TERRAFORM_DIR, children } from './hcl';

/**
 * One owner per ECS service setting (docs/architecture.md, "Who owns each ECS service setting"): the table
 * covers the API, names real provider arguments, matches the doc, and Terraform's `aws_ecs_service` resources
 * follow it. The other side, the `UpdateService` requests the bundles send in a sandbox release, is checked in
 * test/integ/sandbox/release-flow.test.ts against the same table and the same Terraform.
 */

/** `UpdateServiceRequest` members (botocore ecs 2014-11-13 service-2.json). */
const UPDATE_SERVICE_MEMBERS = [
  'availabilityZoneRebalancing',
  'capacityProviderStrategy',
  'cluster',
  'deploymentConfiguration',
  'deploymentController',
  'desiredCount',
  'enableECSManagedTags',
  'enableExecuteCommand',
  'forceNewDeployment',
  'healthCheckGracePeriodSeconds',
  'loadBalancers',
  'networkConfiguration',
  'placementConstraints',
  'placementStrategy',
  'platformVersion',
  'propagateTags',
  'service',
  'serviceConnectConfiguration',
  'serviceRegistries',
  'taskDefinition',
  'volumeConfigurations',
  'vpcLatticeConfigurations',
];
/** `DeploymentConfiguration` members (same model). */
const DEPLOYMENT_CONFIGURATION_MEMBERS = [
  'alarms',
  'bakeTimeInMinutes',
  'canaryConfiguration',
  'deploymentCircuitBreaker',
  'lifecycleHooks',
  'linearConfiguration',
  'maximumPercent',
  'minimumHealthyPercent',
  'strategy',
];
/**
 * Top-level arguments and blocks of `aws_ecs_service` in the Terraform AWS provider 6.25.0 schema (as
 * @cdktf/provider-aws 21.22.1 generates it: lib/ecs-service/index.d.ts, each linked to
 * docs/resources/ecs_service#<name>). Read once from that package rather than made a dependency: it is 392 MB
 * unpacked.
 */
const PROVIDER_ARGUMENTS = [
  'alarms',
  'availability_zone_rebalancing',
  'capacity_provider_strategy',
  'cluster',
  'deployment_circuit_breaker',
  'deployment_configuration',
  'deployment_controller',
  'deployment_maximum_percent',
  'deployment_minimum_healthy_percent',
  'desired_count',
  'enable_ecs_managed_tags',
  'enable_execute_command',
  'force_delete',
  'force_new_deployment',
  'health_check_grace_period_seconds',
  'iam_role',
  'launch_type',
  'load_balancer',
  'name',
  'network_configuration',
  'ordered_placement_strategy',
  'placement_constraints',
  'platform_version',
  'propagate_tags',
  'region',
  'scheduling_strategy',
  'service_connect_configuration',
  'service_registries',
  'sigint_rollback',
  'tags',
  'task_definition',
  'timeouts',
  'triggers',
  'volume_configuration',
  'vpc_lattice_configurations',
  'wait_for_steady_state',
];

describe('one owner for every ECS service setting', () => {
  let services: TerraformEcsService[];
  beforeAll(async () => {
    services = await readTerraformEcsServices();
  });

  it('the table covers every UpdateService field and names real aws_ecs_service arguments', () => {
    const api = ECS_SERVICE_OWNERSHIP.map((r) => r.api).filter((a): a is string => a !== null);
    expect(new Set(api).size).toBe(api.length);
    expect(api.filter((a) => !a.includes('.')).sort()).toEqual(
      UPDATE_SERVICE_MEMBERS.filter((m) => m !== 'deploymentConfiguration'),
    );
    expect(
      api
        .filter((a) => a.startsWith('deploymentConfiguration.'))
        .map((a) => a.split('.')[1])
        .sort(),
    ).toEqual(DEPLOYMENT_CONFIGURATION_MEMBERS);
    for (const row of ECS_SERVICE_OWNERSHIP) expect(PROVIDER_ARGUMENTS).toContain(row.hcl);
  });

  it('Terraform ignores what Shipgate, autoscaling and ECS own, and enforces the rest', () => {
    expect(services.map((s) => s.at).sort()).toEqual([
      'modules/ecs-service/main.tf: aws_ecs_service.this',
      'modules/ecs-service/main.tf: aws_ecs_service.traffic_shifting',
    ]);
    expect(terraformViolations(services)).toEqual([]);
  });

  it('Terraform puts no lifecycle hook on a service: hooks are per deployment, and Shipgate’s', async () => {
    const { resourcesOfType, parseFile } = await import('./hcl');
    const file = await parseFile('modules/ecs-service/main.tf');
    for (const s of resourcesOfType([file], 'aws_ecs_service')) {
      for (const config of children(s.body, 'deployment_configuration')) {
        expect(children(config, 'lifecycle_hook')).toEqual([]);
      }
    }
  });

  it('what Shipgate builds for UpdateService (every ECS strategy, with the contract’s hooks and the verify hook) stays inside its part', () => {
    // The in-process view of the same rule; the sandbox release in release-flow.test.ts checks what the
    // bundles actually send.
    const config = parseConfig({
      version: 1,
      projects: [{ path: 'g/p', services: ['svc'] }],
      services: { svc: { repository: 'svc' } },
      approvers: { a: { name: 'A', email: 'a@example.com' } },
      environments: [{ name: 'production', approval: { approvers: ['a'], quorum: 1, timeout: '1h' } }],
      rollout: { timeout: '1h', eventGrace: '5m', lockLease: '4h' },
    }) as ShipgateConfig;
    const contract = {
      version: 1,
      cluster: 'c',
      service: 'svc',
      containerName: 'svc',
      containerPort: 8080,
      strategy: 'CANARY',
      codeDeploy: null,
      blueGreen: {
        alternateTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/g/1',
        productionListenerRuleArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:listener-rule/app/x/1/2/3',
        testListenerRuleArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:listener-rule/app/x/1/2/4',
        infrastructureRoleArn: 'arn:aws:iam::1:role/infra',
        testUrl: 'http://internal-x.elb.amazonaws.com:8443',
      },
      lifecycleHooks: [
        {
          hookTargetArn: 'arn:aws:lambda:eu-west-1:1:function:team-hook',
          roleArn: 'arn:aws:iam::1:role/hooks',
          lifecycleStages: ['PRE_SCALE_UP'],
        },
      ],
      smokeUrl: 'http://x',
      smokePath: '/readyz',
      alarms: ['svc-5xx'],
      repository: 'svc',
    } as DeployContract;
    const requests = (['ROLLING', 'BLUE_GREEN', 'LINEAR', 'CANARY'] as const).map((strategy) => {
      const plan = planRollout({ ...contract, strategy }, config, 'svc', 'production');
      return {
        cluster: plan.cluster,
        service: plan.ecsService,
        taskDefinition: 'arn:aws:ecs:eu-west-1:1:task-definition/svc:2',
        deploymentConfiguration: buildDeploymentConfiguration(
          plan,
          { maximumPercent: 200, minimumHealthyPercent: 100 },
          { arn: 'arn:aws:lambda:eu-west-1:1:function:verify', roleArn: 'arn:aws:iam::1:role/ecs-hooks' },
        ),
      };
    });
    expect(requestViolations(requests, services)).toEqual([]);
  });

  it('docs/architecture.md shows exactly this table', () => {
    const doc = readFileSync(join(TERRAFORM_DIR, '..', 'docs', 'architecture.md'), 'utf8');
    const section = doc.split('### Who owns each ECS service setting')[1]?.split('\n## ')[0] ?? '';
    const rows = section
      .split('\n')
      .filter((l) => /^\| (`|—)/.test(l) && !l.includes('| `aws_ecs_service` |'))
      .map((l) => l.split(' | ').map((c) => c.replace(/^\| |\s*\|$/g, '').trim()));
    expect(rows.map(([api, hcl, owner]) => [api, hcl, owner])).toEqual(
      ECS_SERVICE_OWNERSHIP.map((r) => [r.api ? `\`${r.api}\`` : '—', `\`${r.hcl}\``, ownerText(r)]),
    );
  });
});
