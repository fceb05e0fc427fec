import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../../lambdas/shared/config';
import { ShipgateStack } from '../../../lib/shipgate-stack';
import { renderLocalDefinition } from '../../../lib/workflow/render';
import { ROLLBACK_STATE_NAMES } from '../../../lib/workflow/rollback-definition';
import { LONG_STEPS, SHARED_STEP_NAMES, STEPS } from '../../../lib/workflow/steps';

type Resource = { Type: string; Properties: Record<string, unknown> };

// GIVEN the example config with CANARY bakes far longer than any Lambda may run (35 configured minutes),
// WHEN the stack is synthesized
const base = loadConfig('shipgate.config.yaml');
const config = {
  ...base,
  rollout: { ...base.rollout, timeout: 3 * 3600, lockLease: 6 * 3600 },
  environments: base.environments.map((e) => ({
    ...e,
    rollout: { ...e.rollout, strategy: 'CANARY' as const, bakeTime: 35 * 60 },
  })),
};
const stack = new ShipgateStack(new App(), 'Shipgate', { config, code: 'placeholder' });
const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

describe('no Lambda waits for ECS', () => {
  it('gives every function a timeout of at most 60 s, except the listed steps (none of which waits for ECS)', () => {
    const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    const hooks = Object.values(stack.verifyHooks);
    // The http app, every shared step, and one verify hook per environment.
    expect(functions.length).toBe(1 + SHARED_STEP_NAMES.length + hooks.length);
    const longer = new Set([
      ...SHARED_STEP_NAMES.filter((s) => LONG_STEPS[s]).map((s) => logicalId(stack.stepFunctions[s])),
      ...(LONG_STEPS['verify-hook'] ? hooks.map((fn) => logicalId(fn)) : []),
    ]);
    for (const [id, fn] of functions) {
      const timeout = fn.Properties.Timeout as number;
      if (longer.has(id)) continue;
      expect({ id, timeout: timeout <= 60 }).toEqual({ id, timeout: true });
    }
    // Every rollout and rollback step is among the short ones, whatever the bakes.
    for (const step of [
      'start-rollout',
      'await-rollout',
      'check-rollout',
      'rollback',
      'check-rollback',
      'manual-rollback',
      'rollout-events',
    ] as const) {
      expect(LONG_STEPS[step]).toBeUndefined();
      expect(STEPS[step].timeoutSeconds(config)).toBeLessThanOrEqual(60);
    }
  });

  it('runs the manual rollback as a state machine that waits for ECS with a task token, like "Roll back <env>"', () => {
    // GIVEN the rollback state machine's definition
    const definition = renderLocalDefinition(config).rollback.definition as {
      StartAt: string;
      States: Record<string, Record<string, unknown>>;
    };
    // THEN it starts with a waitForTaskToken task of the manual-rollback step, bounded by the event grace
    expect(definition.StartAt).toBe(ROLLBACK_STATE_NAMES.start);
    for (const name of [ROLLBACK_STATE_NAMES.start, ROLLBACK_STATE_NAMES.await]) {
      const state = definition.States[name];
      expect(state.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(state.TimeoutSeconds).toBe(config.rollout.eventGrace);
      expect((state.Parameters as { Payload: Record<string, unknown> }).Payload).toMatchObject({
        action: 'start',
        'rollbackId.$': '$.rollbackId',
        'taskToken.$': '$$.Task.Token',
      });
      expect((state.Catch as { Next: string }[])[0].Next).toBe(ROLLBACK_STATE_NAMES.check);
    }
    expect(definition.States[ROLLBACK_STATE_NAMES.check].Parameters).toEqual({
      action: 'check',
      'rollbackId.$': '$.rollbackId',
    });
    // AND the HTTP function may start it, and nothing invokes the manual-rollback function directly
    const httpEnv = (
      resources[logicalId(stack.httpFunction)].Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    // Started through the alias "live" (issue 31): the version the last deploy published.
    expect(httpEnv.SHIPGATE_ROLLBACK_STATE_MACHINE_ARN).toEqual({
      'Fn::GetAtt': [stack.getLogicalId(stack.rollbackWorkflow.published.alias), 'Arn'],
    });
    expect(httpEnv.SHIPGATE_MANUAL_ROLLBACK_FUNCTION).toBeUndefined();
    // …and it is never invoked asynchronously (no on-failure destination of its own).
    const manual = logicalId(stack.stepFunctions['manual-rollback']);
    expect(
      Object.values(resources).filter(
        (r) =>
          r.Type === 'AWS::Lambda::EventInvokeConfig' &&
          (r.Properties.FunctionName as { Ref?: string }).Ref === manual,
      ),
    ).toEqual([]);
  });
});
