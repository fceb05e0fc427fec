import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEPLOY_CONTRACT_KEYS,
  contractParameterName,
  deployContractSchema,
} from '../../../lambdas/shared/contract';
import { loadConfig, rolloutSettings } from '../../../lambdas/shared/config';
import {
  ENVIRONMENTS,
  TERRAFORM_DIR,
  parseFile,
  parseTfvars,
  resourcesOfType,
  terraformAvailable,
  variablesOf,
  type Block,
} from './hcl';

const config = loadConfig(join(TERRAFORM_DIR, '..', 'shipgate.config.yaml'), {});

async function contractLocal(): Promise<Record<string, unknown>> {
  const main = await parseFile('modules/deploy-contract/main.tf');
  return (main.json.locals as Record<string, unknown>[]).find((l) => 'contract' in l)!.contract as Record<
    string,
    unknown
  >;
}

describe('deploy contract: Terraform writes exactly what Shipgate validates', () => {
  it('has exactly the keys of deployContractSchema (DEPLOY_CONTRACT_KEYS)', async () => {
    expect(Object.keys(await contractLocal()).sort()).toEqual(DEPLOY_CONTRACT_KEYS);
  });

  it('writes codeDeploy with every required key of the schema and no unknown one', async () => {
    const expr = String((await contractLocal()).codeDeploy);
    const written = [...expr.matchAll(/^\s*(\w+)\s*=/gm)].map((m) => m[1]).sort();
    const inner = (
      deployContractSchema.shape.codeDeploy._zod.def.innerType._zod.def.innerType as unknown as {
        shape: Record<string, { safeParse(v: unknown): { success: boolean } }>;
      }
    ).shape;
    const required = Object.keys(inner).filter((k) => !inner[k].safeParse(undefined).success);
    expect(written).toEqual(expect.arrayContaining(required));
    for (const k of written) expect(Object.keys(inner)).toContain(k);
    // Optional keys are left out when unset, never written as null (the schema rejects null there).
    expect(expr).toMatch(/if v != null/);
  });

  it('checks the same keys in the Terraform-native tests (terraform test against mocked providers)', () => {
    const tftest = readFileSync(
      join(TERRAFORM_DIR, 'modules', 'environment', 'tests', 'environment.tftest.hcl'),
      'utf8',
    );
    expect(tftest).toContain(`== "${DEPLOY_CONTRACT_KEYS.join(',')}"`);
  });

  it('writes blueGreen with exactly the keys of the schema, from the ecs-service module', async () => {
    const expr = String((await contractLocal()).blueGreen);
    const written = [...expr.matchAll(/^\s*(\w+)\s*=/gm)].map((m) => m[1]).sort();
    const inner = deployContractSchema.shape.blueGreen._zod.def.innerType._zod.def.innerType.shape;
    expect(written).toEqual(Object.keys(inner).sort());
    const hooks = String((await contractLocal()).lifecycleHooks);
    const hookKeys = [...hooks.matchAll(/^\s*(\w+)\s*=/gm)].map((m) => m[1]).sort();
    expect(hookKeys).toEqual(
      Object.keys(deployContractSchema.shape.lifecycleHooks._zod.def.innerType._zod.def.element.shape).sort(),
    );
    const env = await parseFile('modules/environment/main.tf');
    const contract = (env.json.module as Record<string, Record<string, unknown>[]>).contract[0];
    expect(contract).toMatchObject({
      blue_green: '${module.service[each.key].blue_green}',
      lifecycle_hooks: '${module.service[each.key].lifecycle_hooks}',
    });
  });

  it('writes version 1, the only version the schema accepts', async () => {
    const c = await contractLocal();
    expect(c.version).toBe(1);
    expect(deployContractSchema.shape.version.safeParse(c.version).success).toBe(true);
  });

  it('accepts exactly the strategies the schema accepts', async () => {
    const vars = variablesOf(await parseFile('modules/deploy-contract/variables.tf'));
    const condition = String((vars.strategy.validation as Block[])[0].condition);
    const listed = JSON.parse(/contains\((\[[^\]]*\])/.exec(condition)![1]) as string[];
    expect(listed.sort()).toEqual([...deployContractSchema.shape.strategy.options].sort());
    const service = variablesOf(await parseFile('modules/ecs-service/variables.tf'));
    const serviceListed = JSON.parse(
      /contains\((\[[^\]]*\])/.exec(String((service.strategy.validation as Block[])[0].condition))![1],
    ) as string[];
    expect(serviceListed.sort()).toEqual(listed.sort());
  });

  it('names the parameter as Shipgate looks it up, under the configured prefix', async () => {
    const main = await parseFile('modules/deploy-contract/main.tf');
    const name = (main.json.locals as Record<string, unknown>[]).find((l) => 'name' in l)!.name;
    expect(name).toBe(contractParameterName('${var.prefix}', '${var.environment}', '${var.service}'));
    const [param] = resourcesOfType([main], 'aws_ssm_parameter');
    expect(param.body).toMatchObject({
      name: '${local.name}',
      type: 'String',
      insecure_value: '${jsonencode(local.contract)}',
    });
    const moduleVars = variablesOf(await parseFile('modules/deploy-contract/variables.tf'));
    expect(moduleVars.prefix.default).toBe(config.contractsPrefix);
    const envVars = variablesOf(await parseFile('modules/environment/variables.tf'));
    expect(String(envVars.environment.type)).toMatch(
      new RegExp(`contracts_prefix\\s*= optional\\(string, "${config.contractsPrefix}"\\)`),
    );
    for (const env of ENVIRONMENTS) {
      const tfvars = await parseTfvars(`environments/${env}/terraform.tfvars`);
      expect((tfvars.environment as Record<string, unknown>).contracts_prefix ?? config.contractsPrefix).toBe(
        config.contractsPrefix,
      );
    }
  });

  it('publishes the smoke check on /readyz, the path the target groups probe', async () => {
    const vars = variablesOf(await parseFile('modules/deploy-contract/variables.tf'));
    expect(vars.smoke_path.default).toBe('/readyz');
    expect(deployContractSchema.shape.smokePath.parse(undefined)).toBe('/readyz');
  });
});

// The keys are not enough: the values Terraform renders must have the types the schema wants (a port as a
// number, codeDeploy absent or an object, no null where the schema rejects it). The module's `locals` and
// variables need no provider, so real Terraform evaluates them offline with `terraform console`.
(terraformAvailable('contract rendering') ? describe : describe.skip)(
  'deploy contract as Terraform renders it',
  () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'shipgate-contract-'));
      const module = join(TERRAFORM_DIR, 'modules', 'deploy-contract');
      copyFileSync(join(module, 'variables.tf'), join(dir, 'variables.tf'));
      const main = readFileSync(join(module, 'main.tf'), 'utf8');
      const locals = main.slice(0, main.indexOf('resource "'));
      expect(locals).toMatch(/^locals \{[\s\S]*contract = \{/);
      writeFileSync(join(dir, 'locals.tf'), locals);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const render = (vars: Record<string, unknown>): unknown => {
      writeFileSync(join(dir, 'terraform.tfvars.json'), JSON.stringify(vars));
      const out = execFileSync('terraform', ['console'], {
        cwd: dir,
        input: 'jsonencode(local.contract)\n',
        encoding: 'utf8',
        env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      // The console prints the string as an HCL literal ("{\"version\":1,…}"), which is also a JSON string.
      return JSON.parse(JSON.parse(out.trim()) as string);
    };
    const base = {
      environment: 'staging',
      service: 'inventory-app',
      cluster: 'shipgate-staging',
      ecs_service: 'inventory-app',
      container_name: 'app',
      container_port: 8080,
      smoke_url: 'https://staging.example.com/inventory-app',
      alarms: ['shipgate-staging-inventory-app-5xx'],
      repository: 'inventory-app',
    };

    it.each(deployContractSchema.shape.strategy.options.filter((s) => s !== 'CODEDEPLOY'))(
      'renders a %s contract the schema accepts as is',
      (strategy) => {
        const contract = render({ ...base, strategy });
        // Parsing adds no default and changes no value: Terraform wrote every field in its final form.
        expect(deployContractSchema.parse(contract)).toEqual(contract);
        expect(contract).toMatchObject({
          version: 1,
          strategy,
          containerPort: 8080,
          codeDeploy: null,
          blueGreen: null,
          lifecycleHooks: [],
        });
      },
    );

    it.each([
      ['with a deployment config', 'CodeDeployDefault.ECSAllAtOnce'],
      ['without a deployment config', null],
    ])('renders a CODEDEPLOY contract %s the schema accepts as is', (_label, deploymentConfig) => {
      const contract = render({
        ...base,
        strategy: 'CODEDEPLOY',
        code_deploy: { application: 'app', deployment_group: 'group', deployment_config: deploymentConfig },
      }) as { codeDeploy: Record<string, string> };
      expect(deployContractSchema.parse(contract)).toEqual(contract);
      expect(contract.codeDeploy).toEqual({
        application: 'app',
        deploymentGroup: 'group',
        ...(deploymentConfig ? { deploymentConfig } : {}),
      });
    });

    it('renders a CANARY contract with blueGreen and lifecycleHooks the schema accepts as is', () => {
      const blueGreen = {
        alternate_target_group_arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/b-2/1',
        production_listener_rule_arn:
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/a/1/1/1',
        test_listener_rule_arn:
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/a/1/1/2',
        infrastructure_role_arn: 'arn:aws:iam::123456789012:role/infra',
        test_url: 'http://alb.example.com:8443/billing-app',
      };
      const hook = {
        hook_target_arn: 'arn:aws:lambda:us-east-1:123456789012:function:smoke',
        role_arn: 'arn:aws:iam::123456789012:role/hooks',
        lifecycle_stages: ['POST_TEST_TRAFFIC_SHIFT'],
      };
      const contract = render({
        ...base,
        strategy: 'CANARY',
        blue_green: blueGreen,
        lifecycle_hooks: [hook],
      });
      expect(deployContractSchema.parse(contract)).toEqual(contract);
      expect(contract).toMatchObject({
        blueGreen: {
          alternateTargetGroupArn: blueGreen.alternate_target_group_arn,
          productionListenerRuleArn: blueGreen.production_listener_rule_arn,
          testListenerRuleArn: blueGreen.test_listener_rule_arn,
          infrastructureRoleArn: blueGreen.infrastructure_role_arn,
          testUrl: blueGreen.test_url,
        },
        lifecycleHooks: [
          {
            hookTargetArn: hook.hook_target_arn,
            roleArn: hook.role_arn,
            lifecycleStages: hook.lifecycle_stages,
          },
        ],
      });
    });

    it('refuses a strategy the schema does not know before anything is written', () => {
      expect(() => render({ ...base, strategy: 'RECREATE' })).toThrow(/strategy must be one of/);
    });
  },
);

describe.each(ENVIRONMENTS)('environment %s agrees with shipgate.config.yaml', (env) => {
  let tfvars: Record<string, unknown>;
  let services: Record<string, Record<string, unknown>>;
  beforeAll(async () => {
    tfvars = (await parseTfvars(`environments/${env}/terraform.tfvars`)).environment as Record<
      string,
      unknown
    >;
    services = tfvars.services as Record<string, Record<string, unknown>>;
  });

  it('is an environment Shipgate releases to', () => {
    expect(tfvars.name).toBe(env);
    expect(config.environments.map((e) => e.name)).toContain(env);
  });

  it('runs every configured service, from its configured repository', () => {
    expect(Object.keys(services).sort()).toEqual(Object.keys(config.services).sort());
    for (const [name, svc] of Object.entries(config.services))
      expect(services[name].repository).toBe(svc.repository);
  });

  it('sets up each service for the strategy (and canary/linear/bake settings) Shipgate will use', () => {
    for (const name of Object.keys(config.services)) {
      const want = rolloutSettings(config, name, env);
      const got = services[name];
      expect({ name, strategy: got.strategy ?? 'ROLLING' }).toEqual({ name, strategy: want.strategy });
      if (want.canaryPercent !== undefined) expect(got.canary_percent).toBe(want.canaryPercent);
      if (want.linearStepPercent !== undefined) expect(got.linear_step_percent).toBe(want.linearStepPercent);
      if (want.bakeTime !== undefined) expect(Number(got.bake_time_in_minutes) * 60).toBe(want.bakeTime);
    }
  });

  it('routes every service to a unique listener priority and one catch-all', () => {
    const priorities = Object.values(services).map((s) => s.priority);
    expect(new Set(priorities).size).toBe(priorities.length);
    expect(
      Object.values(services).filter((s) => s.path_prefix === null || s.path_prefix === undefined),
    ).toHaveLength(1);
  });
});
