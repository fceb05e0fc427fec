import { buildDeploymentConfiguration, planRollout } from '../../../lambdas/domain/rollout/strategy';
import { verifyHook } from '../../../lambdas/shared/env';
import { ConfigError } from '../../../lambdas/shared/errors';
import { contractFor, testConfig } from '../rollout/harness';

const ROLE = 'arn:aws:iam::123456789012:role/shipgate-ecs-lifecycle-hooks';
const HOOKS = {
  staging: 'arn:aws:lambda:eu-west-1:123456789012:function:Shipgate-VerifyHookStaging-1',
  production: 'arn:aws:lambda:eu-west-1:123456789012:function:Shipgate-VerifyHookProduction-2',
};
const env = (arns: unknown = HOOKS): NodeJS.ProcessEnv => ({
  SHIPGATE_VERIFY_HOOK_ARNS: typeof arns === 'string' ? arns : JSON.stringify(arns),
  SHIPGATE_VERIFY_HOOK_ROLE_ARN: ROLE,
});

describe('verifyHook: each environment’s own smoke-check function (SHIPGATE_VERIFY_HOOK_ARNS)', () => {
  it('gives each environment the function in its own VPC', () => {
    expect(verifyHook('staging', env())).toEqual({ arn: HOOKS.staging, roleArn: ROLE });
    expect(verifyHook('production', env())).toEqual({ arn: HOOKS.production, roleArn: ROLE });
  });

  it('passes each environment the hook role of its own account (SHIPGATE_VERIFY_HOOK_ROLE_ARNS)', () => {
    const elsewhere = 'arn:aws:iam::222222222222:role/shipgate-deploy-ecs-hooks';
    const both = {
      SHIPGATE_VERIFY_HOOK_ARNS: JSON.stringify(HOOKS),
      SHIPGATE_VERIFY_HOOK_ROLE_ARNS: JSON.stringify({ staging: ROLE, production: elsewhere }),
    };
    expect(verifyHook('staging', both)).toEqual({ arn: HOOKS.staging, roleArn: ROLE });
    expect(verifyHook('production', both)).toEqual({ arn: HOOKS.production, roleArn: elsewhere });
    // A build before the map set one role for all: an environment the map leaves out keeps it.
    const older = { ...env(), SHIPGATE_VERIFY_HOOK_ROLE_ARNS: JSON.stringify({ production: elsewhere }) };
    expect(verifyHook('staging', older)?.roleArn).toBe(ROLE);
    expect(() => verifyHook('staging', { ...env(), SHIPGATE_VERIFY_HOOK_ROLE_ARNS: '["x"]' })).toThrow(
      /SHIPGATE_VERIFY_HOOK_ROLE_ARNS must be a JSON object of role ARNs by environment/,
    );
  });

  it('is off when the stack set no hooks (no smoke check on test traffic)', () => {
    expect(verifyHook('production', {})).toBeUndefined();
    expect(verifyHook('production', { SHIPGATE_VERIFY_HOOK_ARNS: JSON.stringify(HOOKS) })).toBeUndefined();
  });

  it('refuses an environment the stack made no hook for, naming it and the ones it has', () => {
    expect(() => verifyHook('qa', env())).toThrow(ConfigError);
    expect(() => verifyHook('qa', env())).toThrow(
      /SHIPGATE_VERIFY_HOOK_ARNS has no verify hook for environment "qa" \(it has: staging, production\)/,
    );
  });

  it('refuses a value that is not a JSON object of ARNs, quoting it', () => {
    for (const bad of ['arn:aws:lambda:eu-west-1:1:function:x', '["a"]', '{"staging":""}', '{"staging":3}']) {
      expect(() => verifyHook('staging', env(bad))).toThrow(
        /SHIPGATE_VERIFY_HOOK_ARNS must be a JSON object of function ARNs by environment/,
      );
    }
  });

  it('puts the environment’s own hook into that environment’s UpdateService', () => {
    const saved = { ...process.env };
    Object.assign(process.env, env());
    try {
      for (const environment of ['staging', 'production'] as const) {
        const contract = contractFor(environment, 'storefront', { strategy: 'CANARY' });
        const plan = planRollout(contract, testConfig(), 'storefront', environment);
        const hooks = buildDeploymentConfiguration(plan, undefined).lifecycleHooks ?? [];
        expect(hooks.map((h) => [h.hookTargetArn, h.lifecycleStages])).toEqual([
          [HOOKS[environment], ['POST_TEST_TRAFFIC_SHIFT']],
        ]);
      }
    } finally {
      process.env = saved;
    }
  });
});
