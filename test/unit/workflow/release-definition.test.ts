import { loadConfig, longestPauseAllowance, parseConfig } from '../../../lambdas/shared/config';
import { lockRetryAttempts, lockRetryPauseSeconds } from '../../../lib/workflow/release-definition';
import { renderLocalDefinition, localFunctionArn, type AslDefinition } from '../../../lib/workflow/render';
import { STEPS } from '../../../lib/workflow/steps';
import { testConfig } from '../../helpers/local-workflow';

// asl-validator ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};

type State = Record<string, unknown>;

/** The smallest valid configuration (one environment), for sizing checks. */
const minimalConfig = {
  version: 1,
  projects: [{ path: 'acme/shop', services: ['web'] }],
  services: { web: { repository: 'acme/web' } },
  approvers: { ann: { name: 'Ann' } },
  environments: [{ name: 'staging', approval: { approvers: ['ann'] } }],
};

/** Every state of the definition, Map item processors included. */
function allStates(definition: AslDefinition): Record<string, State> {
  const out: Record<string, State> = {};
  const walk = (states: Record<string, State>) => {
    for (const [name, state] of Object.entries(states)) {
      out[name] = state;
      const processor = state.ItemProcessor as AslDefinition | undefined;
      if (processor) walk(processor.States);
    }
  };
  walk(definition.States);
  return out;
}

describe('release state machine definition (example config)', () => {
  // GIVEN the example shipgate.config.yaml
  const config = loadConfig('shipgate.config.yaml');
  // WHEN the stack is rendered for local execution
  const rendered = renderLocalDefinition(config);
  const { definition } = rendered;
  const states = allStates(definition);

  it('is valid Amazon States Language', () => {
    const result = aslValidator(definition);
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('names the top-level states as the brief does, stages in config order', () => {
    const names = Object.keys(definition.States);
    for (const name of [
      'Resolve release',
      'Scan',
      'Check freeze staging',
      'Approve staging',
      'Deploy staging',
      'Verify staging',
      'Check freeze production',
      'Approve production',
      'Deploy production',
      'Verify production',
      'Record release',
      'Roll back staging',
      'Roll back production',
      'Report failure',
      'Release failed',
    ]) {
      expect(names).toContain(name);
    }
    expect(definition.StartAt).toBe('Resolve release');
    // The happy path, following Next from the start (Choice states take their "not frozen" branch).
    const path: string[] = [];
    let current: string | undefined = definition.StartAt;
    while (current) {
      path.push(current);
      const state: State = definition.States[current];
      current =
        state.Type === 'Choice'
          ? ((state.Choices as Array<{ Next: string }>)[0].Next as string)
          : (state.Next as string | undefined);
    }
    expect(path.filter((n) => !n.startsWith('Is '))).toEqual([
      'Resolve release',
      'Scan',
      'Approve staging',
      'Check freeze staging',
      'Deploy staging',
      'Verify staging',
      'Approve production',
      'Check freeze production',
      'Deploy production',
      'Verify production',
      'Record release',
    ]);
  });

  it('uses JSONPath only (the local executor does not run JSONata)', () => {
    expect(JSON.stringify(definition)).not.toContain('JSONata');
    for (const state of Object.values(states)) expect(state.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  });

  it('bounds every Task state with TimeoutSeconds', () => {
    const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThanOrEqual(14);
    for (const [name, state] of tasks) {
      expect({ name, timeout: typeof state.TimeoutSeconds }).toEqual({ name, timeout: 'number' });
    }
  });

  it('waits for approvals with a task token, for as long as each policy says', () => {
    for (const env of config.environments) {
      const approve = states[`Approve ${env.name}`];
      expect(approve.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(approve.TimeoutSeconds).toBe(env.approval.timeout);
      expect(approve.ResultPath).toBe(`$.approvals.${env.name}`);
      expect(approve.Parameters).toEqual({
        // The version the deploy published, never the unqualified function.
        FunctionName: `${localFunctionArn('request-approval')}:1`,
        Payload: {
          'taskToken.$': '$$.Task.Token',
          'executionArn.$': '$$.Execution.Id',
          environment: env.name,
          'release.$': '$.release',
          'resolved.$': '$.resolved',
          'scan.$': '$.scan',
        },
      });
    }
    expect(states['Approve production'].TimeoutSeconds).toBe(72 * 3600);
  });

  it('deploys each environment as a Map over the resolved images with the event/check/await loop', () => {
    const deploy = states['Deploy production'];
    expect(deploy).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.resolved.images',
      MaxConcurrency: config.rollout.maxConcurrency,
      ResultPath: '$.deployments.production',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Roll back production' }],
    });
    const start = states['Start rollout production'];
    expect(start.TimeoutSeconds).toBe(config.rollout.eventGrace);
    expect(start.Catch).toEqual([
      { ErrorEquals: ['States.Timeout'], ResultPath: null, Next: 'Check rollout production' },
    ]);
    expect((start.Parameters as { Payload: State }).Payload).toEqual({
      'taskToken.$': '$$.Task.Token',
      'executionArn.$': '$$.Execution.Id',
      environment: 'production',
      'release.$': '$.release',
      'image.$': '$.image',
      'approval.$': '$.approval',
    });
    // The Map hands each item the environment's approval, so shipgate/<env> can name who approved.
    expect((deploy as { ItemSelector?: State }).ItemSelector).toEqual({
      'release.$': '$.release',
      'image.$': '$$.Map.Item.Value',
      'approval.$': '$.approvals.production',
    });
    expect(states['Verify production'].Parameters).toMatchObject({
      'approval.$': '$.approvals.production',
    });
    expect(states['Await rollout production'].Catch).toEqual(start.Catch);
    expect(states['Check rollout production'].Next).toBe('Rollout production settled?');
  });

  it('queues a release behind a held rollout lock: bounded, jittered retries of Start rollout on RolloutLocked', () => {
    const { maxAttempts, maxWaitSeconds } = lockRetryAttempts(config);
    for (const env of ['staging', 'production']) {
      const retry = states[`Start rollout ${env}`].Retry as State[];
      expect(retry).toContainEqual({
        ErrorEquals: ['RolloutLocked'],
        IntervalSeconds: 30,
        BackoffRate: 1.5,
        MaxDelaySeconds: 300,
        JitterStrategy: 'FULL',
        MaxAttempts: maxAttempts,
      });
      // Only starting waits for a lock; re-awaiting an own rollout never meets one.
      expect(JSON.stringify(states[`Await rollout ${env}`].Retry ?? [])).not.toContain('RolloutLocked');
    }
    // The nominal pauses cover the longest a settling rollout holds a lock (its pauses included), and not much more.
    const held = config.rollout.timeout + config.rollout.eventGrace + longestPauseAllowance(config);
    expect(maxWaitSeconds).toBeGreaterThanOrEqual(held);
    expect(maxWaitSeconds).toBeLessThan(held + 300);
  });

  it('sizes the lock wait from the rollout timeout, never below eight attempts', () => {
    // Defaults: rollout.timeout 30m + eventGrace 5m = 2100 s → 30+45+67.5+101.25+151.9+227.8+300×5.
    expect(lockRetryAttempts(testConfig())).toEqual({ maxAttempts: 11, maxWaitSeconds: 2123 });
    expect(lockRetryPauseSeconds(0)).toBe(30);
    expect(lockRetryPauseSeconds(3)).toBeCloseTo(101.25);
    expect(lockRetryPauseSeconds(10)).toBe(300);
    const short = parseConfig({
      ...minimalConfig,
      rollout: { timeout: '1m', eventGrace: '10s' },
    });
    expect(lockRetryAttempts(short)).toEqual({ maxAttempts: 8, maxWaitSeconds: 1223 });
  });

  it('writes each result to its own path of the release document', () => {
    expect(states['Resolve release'].ResultPath).toBe('$.resolved');
    expect(states.Scan.ResultPath).toBe('$.scan');
    expect(states['Check freeze staging'].ResultPath).toBe('$.freeze');
    expect(states['Verify staging'].ResultPath).toBe('$.verify.staging');
    expect(states['Record release'].ResultPath).toBe('$.record');
    expect(states['Release failed']).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    });
  });

  it('maps every Lambda ARN to its handler file', () => {
    for (const [arn, task] of Object.entries(rendered.tasks)) {
      // Version-qualified (issue 31): the version the deploy (or sandbox upgrade) published.
      expect(arn).toBe(`arn:aws:lambda:us-east-1:000000000000:function:shipgate-${task.step}:1`);
      expect(task.entry.endsWith(STEPS[task.step].entry)).toBe(true);
    }
    expect(rendered.states['Start rollout staging']).toMatchObject({
      step: 'start-rollout',
      waitForTaskToken: true,
    });
    expect(rendered.states['Verify staging']).toMatchObject({ step: 'verify', waitForTaskToken: false });
    expect(rendered.stateMachineName).toBe('shipgate-release');
  });

  it('follows the config: one stage per environment, in order', () => {
    const single = testConfig();
    const names = Object.keys(renderLocalDefinition(single).definition.States);
    expect(names.filter((n) => n.startsWith('Deploy '))).toEqual(['Deploy staging', 'Deploy production']);
  });
});
