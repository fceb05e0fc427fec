import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { smokeCheckParameterNames } from '../../../lib/constructs/smoke-check-hook';
import { ShipgateStack } from '../../../lib/shipgate-stack';
import { loadConfig } from '../../../lambdas/shared/config';
import {
  ENVIRONMENTS,
  TERRAFORM_DIR,
  outputsOf,
  parseFile,
  parseTfvars,
  resourcesOfType,
  variablesOf,
  type Block,
  type TfFile,
} from './hcl';

/**
 * The network path of the smoke check, proved statically (docs/architecture.md, "Network path of the smoke
 * check"): the verify hook ECS invokes at POST_TEST_TRAFFIC_SHIFT runs, per environment, with the security
 * group the environment's Terraform creates for it; the load balancer's test listener admits that group by
 * reference and nothing by CIDR; the group may send to the listener; and the URL the hook calls resolves
 * to private addresses (an internal load balancer) wherever a service shifts traffic with ECS. Each link
 * reads the synthesized template or the Terraform; a broken link names itself.
 */

const config = loadConfig(join(TERRAFORM_DIR, '..', 'shipgate.config.yaml'), {});
const stack = new ShipgateStack(new App(), 'Shipgate', { config, code: 'placeholder' });
const template = Template.fromStack(stack).toJSON() as {
  Parameters: Record<string, { Type: string; Default?: string }>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};
const logicalId = (c: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(c.node.defaultChild as never);

const TRAFFIC_SHIFTING = ['BLUE_GREEN', 'LINEAR', 'CANARY'];
/** Attributes of a security group rule that admit by address rather than by group. */
const ADDRESS_SOURCES = ['cidr_ipv4', 'cidr_ipv6', 'prefix_list_id'];

function moduleCall(file: TfFile, name: string): Block {
  const calls = (file.json.module ?? {}) as Record<string, Block[]>;
  return calls[name][0];
}

function resource(file: TfFile, type: string, name: string): Block {
  const found = resourcesOfType([file], type).find((r) => r.name === name);
  if (!found) throw new Error(`${file.path} has no ${type}.${name}`);
  return found.body;
}

function local(file: TfFile, name: string): unknown {
  return ((file.json.locals ?? []) as Record<string, unknown>[]).find((l) => name in l)?.[name];
}

describe('network path of the smoke check (synthesized template + Terraform)', () => {
  let environment: TfFile;
  let alb: TfFile;
  let smoke: TfFile;
  beforeAll(async () => {
    [environment, alb, smoke] = await Promise.all([
      parseFile('modules/environment/main.tf'),
      parseFile('modules/alb/main.tf'),
      parseFile('modules/smoke-check/main.tf'),
    ]);
  });

  it('1. each environment has its own verify hook, in that environment’s subnets, with only the group Terraform publishes for it', () => {
    expect(Object.keys(stack.verifyHooks)).toEqual(config.environments.map((e) => e.name));
    for (const [env, fn] of Object.entries(stack.verifyHooks)) {
      const vpcConfig = template.Resources[logicalId(fn)].Properties.VpcConfig as {
        SecurityGroupIds: { Ref: string }[];
        SubnetIds: { Ref: string };
      };
      const names = smokeCheckParameterNames(config.contractsPrefix, env);
      expect(vpcConfig.SecurityGroupIds).toHaveLength(1);
      expect(template.Parameters[vpcConfig.SecurityGroupIds[0].Ref]).toEqual(
        expect.objectContaining({
          Type: 'AWS::SSM::Parameter::Value<AWS::EC2::SecurityGroup::Id>',
          Default: names.securityGroupId,
        }),
      );
      expect(template.Parameters[vpcConfig.SubnetIds.Ref]).toEqual(
        expect.objectContaining({
          Type: 'AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>',
          Default: names.subnetIds,
        }),
      );
    }
  });

  it('2. Terraform writes the smoke check’s own security group (and private subnets) under exactly those names', async () => {
    // The parameter names as Terraform builds them, evaluated for each environment root's tfvars.
    const prefix = String(local(smoke, 'parameter_prefix'));
    expect(prefix).toBe('${var.prefix}/${var.environment}/smoke-check');
    const sgParam = resource(smoke, 'aws_ssm_parameter', 'security_group_id');
    const subnetsParam = resource(smoke, 'aws_ssm_parameter', 'subnet_ids');
    expect(sgParam).toMatchObject({
      name: '${local.parameter_prefix}/security-group-id',
      value: '${aws_security_group.this.id}',
    });
    expect(subnetsParam).toMatchObject({
      name: '${local.parameter_prefix}/subnet-ids',
      type: 'StringList',
      value: '${join(",", var.subnet_ids)}',
    });
    const call = moduleCall(environment, 'smoke_check');
    expect(call).toMatchObject({
      source: '../smoke-check',
      prefix: '${var.environment.contracts_prefix}',
      environment: '${var.environment.name}',
      subnet_ids: '${module.network.private_subnet_ids}',
    });
    const contractsPrefixDefault = /contracts_prefix\s*= optional\(string, "([^"]+)"\)/.exec(
      (await parseFile('modules/environment/variables.tf')).text,
    )![1];
    for (const root of ENVIRONMENTS) {
      const tfvars = (await parseTfvars(`environments/${root}/terraform.tfvars`)).environment as Record<
        string,
        unknown
      >;
      const evaluated = prefix
        .replace('${var.prefix}', String(tfvars.contracts_prefix ?? contractsPrefixDefault))
        .replace('${var.environment}', String(tfvars.name));
      const names = smokeCheckParameterNames(config.contractsPrefix, String(tfvars.name));
      expect(`${evaluated}/security-group-id`).toBe(names.securityGroupId);
      expect(`${evaluated}/subnet-ids`).toBe(names.subnetIds);
    }
    expect(outputsOf(await parseFile('modules/smoke-check/outputs.tf')).security_group_id.value).toBe(
      '${try(aws_security_group.this.id, null)}',
    );
  });

  it('3. the environment gives the load balancer exactly that group as the test listener’s ingress', () => {
    expect(moduleCall(environment, 'alb').test_ingress_security_groups).toEqual({
      smoke_check: '${module.smoke_check.security_group_id}',
    });
  });

  it('4. the test listener admits those groups by reference on its port, and nothing there by address', async () => {
    const listener = resource(alb, 'aws_lb_listener', 'test');
    expect(listener.port).toBe('${var.test_listener_port}');
    const rules = resourcesOfType([alb], 'aws_vpc_security_group_ingress_rule').filter(
      (r) => r.body.security_group_id === '${aws_security_group.this.id}',
    );
    const test = rules.find((r) => r.name === 'test')!.body;
    expect(test).toMatchObject({
      for_each: '${var.test_listener ? var.test_ingress_security_groups : {}}',
      referenced_security_group_id: '${each.value}',
      from_port: '${var.test_listener_port}',
      to_port: '${var.test_listener_port}',
    });
    // No rule on the load balancer's group may open the test port (or a CodeDeploy test port, listener_port + 1)
    // to an address: every rule naming a test port admits a group.
    const testPortRules = rules.filter((r) =>
      /test_listener_port|listener_port \+ 1/.test(JSON.stringify(r.body)),
    );
    expect(testPortRules.map((r) => r.name).sort()).toEqual(['codedeploy_test', 'test']);
    for (const r of testPortRules) {
      expect({ rule: r.name, addressSources: ADDRESS_SOURCES.filter((a) => a in r.body) }).toEqual({
        rule: r.name,
        addressSources: [],
      });
      expect(r.body.referenced_security_group_id).toBeDefined();
    }
    // The only way in is a map of groups: the module has no CIDR input for test traffic any more.
    const vars = variablesOf(await parseFile('modules/alb/variables.tf'));
    expect(vars.test_ingress_security_groups.type).toBe('${map(string)}');
    expect(Object.keys(vars).filter((v) => v.startsWith('test_') && /cidr/.test(v))).toEqual([]);
  });

  it('5. the smoke check’s group may send to the load balancer on the test port (and to the AWS endpoints only)', () => {
    const egress = resourcesOfType([smoke], 'aws_vpc_security_group_egress_rule');
    const toListener = egress.find((r) => r.name === 'test_listener')!.body;
    expect(toListener).toMatchObject({
      security_group_id: '${aws_security_group.this.id}',
      referenced_security_group_id: '${var.load_balancer_security_group_id}',
      from_port: '${each.value}',
      to_port: '${each.value}',
    });
    expect(moduleCall(environment, 'smoke_check')).toMatchObject({
      load_balancer_security_group_id: '${module.alb.security_group_id}',
      test_listener_ports: '${length(local.ecs_traffic_services) > 0 ? [local.test_listener_port] : []}',
    });
    expect(moduleCall(environment, 'alb').test_listener_port).toBe('${local.test_listener_port}');
    // Nothing else goes out: the endpoints by group, DynamoDB by its gateway's prefix list.
    expect(egress.map((r) => r.name).sort()).toEqual(['dynamodb', 'endpoints', 'test_listener']);
    expect(egress.filter((r) => 'cidr_ipv4' in r.body || 'cidr_ipv6' in r.body)).toEqual([]);
    expect(resourcesOfType([smoke], 'aws_vpc_security_group_ingress_rule')).toEqual([]);
  });

  it('6. the URL the hook calls resolves to private addresses wherever a service shifts traffic with ECS', async () => {
    // The contract's testUrl is the load balancer's own DNS name (never the public domain or entry)…
    const outputs = outputsOf(await parseFile('modules/alb/outputs.tf'));
    expect(outputs.test_url.value).toBe(
      '${try("http://${aws_lb.this.dns_name}:${aws_lb_listener.test[0].port}", null)}',
    );
    // …which resolves to private addresses when the load balancer is internal…
    expect(resource(alb, 'aws_lb', 'this').internal).toBe('${var.internal}');
    expect(moduleCall(environment, 'alb').internal).toBe('${local.internal_load_balancer}');
    expect(local(environment, 'internal_load_balancer')).toBe(
      '${var.environment.internal_load_balancer != null ? var.environment.internal_load_balancer : length(local.ecs_traffic_services) > 0}',
    );
    // …which every environment root with an ECS traffic-shifting service leaves it (and the variable refuses
    // `internal_load_balancer = false` next to such a service).
    const validations = (variablesOf(await parseFile('modules/environment/variables.tf')).environment
      .validation ?? []) as { condition: string }[];
    expect(
      validations.some((v) => v.condition.startsWith('${var.environment.internal_load_balancer != false ||')),
    ).toBe(true);
    let shifting = 0;
    for (const root of ENVIRONMENTS) {
      const tfvars = (await parseTfvars(`environments/${root}/terraform.tfvars`)).environment as {
        internal_load_balancer?: boolean;
        services: Record<string, { strategy?: string }>;
      };
      const ecsTraffic = Object.values(tfvars.services).some((s) =>
        TRAFFIC_SHIFTING.includes(s.strategy ?? ''),
      );
      if (!ecsTraffic) continue;
      shifting++;
      expect({ root, internal: tfvars.internal_load_balancer ?? true }).toEqual({ root, internal: true });
    }
    // The example production environment runs billing-app as a CANARY, so the path is exercised there.
    expect(shifting).toBeGreaterThan(0);
    // And the public stays served: the environment puts the internet-facing entry in front by default.
    expect(moduleCall(environment, 'alb').public_entry).toMatch(
      /^\$\{local\.internal_load_balancer && var\.environment\.public_entry \?/,
    );
    expect(resource(alb, 'aws_lb', 'public_entry')).toMatchObject({
      internal: false,
      load_balancer_type: 'network',
    });
  });
});
