import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../../lambdas/shared/config';
import { ShipgateStack } from '../../../lib/shipgate-stack';
import { renderLocalDefinition } from '../../../lib/workflow/render';
import { SHARED_STEP_NAMES } from '../../../lib/workflow/steps';

/**
 * Issue 31: an upgrade must not swap code under running releases. Every deploy publishes function versions,
 * the state machines' Task states name those versions, the state machines are published as versions behind
 * an alias, and new executions start through the alias.
 */

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
type State = Record<string, unknown> & { Type: string };

// GIVEN the example config, WHEN the stack is synthesized
const config = loadConfig('shipgate.config.yaml');
const stack = new ShipgateStack(new App(), 'Shipgate', { config, code: 'placeholder' });
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<string, Resource>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const logicalId = (c: { node: { defaultChild?: unknown } }) =>
  stack.resolve(((c.node.defaultChild ?? c) as { logicalId: string }).logicalId) as string;

/** A definition string (Fn::Join of text and references) as JSON, each reference written `<<Ref X>>`. */
function definitionOf(machineId: string): { States: Record<string, State> } {
  const body = resources[machineId].Properties.DefinitionString as {
    'Fn::Join': [string, (string | Record<string, unknown>)[]];
  };
  const text = body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      if ('Ref' in part) return `<<Ref ${String(part.Ref)}>>`;
      if ('Fn::GetAtt' in part) return `<<GetAtt ${(part['Fn::GetAtt'] as string[]).join('.')}>>`;
      return `<<${JSON.stringify(part)}>>`;
    })
    .join('');
  return JSON.parse(text) as { States: Record<string, State> };
}

/** Every Task state of a definition, Map item processors included. */
function tasksOf(def: { States: Record<string, State> }, out: [string, State][] = []): [string, State][] {
  for (const [name, state] of Object.entries(def.States)) {
    if (state.Type === 'Task') out.push([name, state]);
    const processor = (state.ItemProcessor ?? state.Iterator) as
      { States: Record<string, State> } | undefined;
    if (processor) tasksOf(processor, out);
  }
  return out;
}

/** The function a Lambda Task invokes: its Resource, or Parameters.FunctionName of the lambda:invoke integrations. */
function invokedFunction(state: State): string {
  const resource = String(state.Resource);
  if (resource.includes(':states:::lambda:invoke')) {
    return String((state.Parameters as { FunctionName?: unknown }).FunctionName);
  }
  return resource;
}

const machines = [
  ['release', stack.workflow],
  ['rollback', stack.rollbackWorkflow],
] as const;

describe('in-flight executions keep their code (issue 31)', () => {
  it.each(machines)(
    'every Lambda task of the %s state machine names a published function version',
    (_, wf) => {
      // WHEN the definition's Task states are read
      const tasks = tasksOf(definitionOf(logicalId(wf.stateMachine)));
      expect(tasks.length).toBeGreaterThan(0);
      // THEN each names an AWS::Lambda::Version (Ref = the version ARN, `…:function:<name>:<n>`), never the
      // function's unqualified ARN (Fn::GetAtt …Arn), which runs whatever code the last deploy left.
      for (const [name, state] of tasks) {
        const fn = invokedFunction(state);
        const ref = /^<<Ref (\w+)>>$/.exec(fn);
        expect({ name, fn, type: ref ? resources[ref[1]]?.Type : undefined }).toEqual({
          name,
          fn,
          type: 'AWS::Lambda::Version',
        });
      }
    },
  );

  it.each(machines)('publishes the %s state machine as a version behind the alias "live"', (_, wf) => {
    const machineId = logicalId(wf.stateMachine);
    const versions = ofType('AWS::StepFunctions::StateMachineVersion').filter(
      ([, r]) => (r.Properties.StateMachineArn as { Ref?: string }).Ref === machineId,
    );
    // THEN one version, which follows the definition's revision (a changed definition publishes anew)
    expect(versions).toHaveLength(1);
    const [versionId, version] = versions[0];
    expect(version.Properties.StateMachineRevisionId).toEqual({
      'Fn::GetAtt': [machineId, 'StateMachineRevisionId'],
    });
    // AND an alias sends every new execution to it
    const aliases = ofType('AWS::StepFunctions::StateMachineAlias').filter(([, r]) =>
      JSON.stringify(r.Properties.RoutingConfiguration).includes(versionId),
    );
    expect(aliases).toHaveLength(1);
    expect(aliases[0][1].Properties).toMatchObject({
      Name: 'live',
      RoutingConfiguration: [{ StateMachineVersionArn: { 'Fn::GetAtt': [versionId, 'Arn'] }, Weight: 100 }],
    });
  });

  it('starts new releases and manual rollbacks through the aliases, and may start them no other way', () => {
    const env = (
      resources[logicalId(stack.httpFunction)].Properties.Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(env.SHIPGATE_STATE_MACHINE_ARN).toEqual({
      'Fn::GetAtt': [logicalId(stack.workflow.published.alias as never), 'Arn'],
    });
    expect(env.SHIPGATE_ROLLBACK_STATE_MACHINE_ARN).toEqual({
      'Fn::GetAtt': [logicalId(stack.rollbackWorkflow.published.alias as never), 'Arn'],
    });
    const roleId = stack.getLogicalId(stack.httpFunction.role!.node.defaultChild as never);
    const starts = ofType('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(roleId))
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .filter((s) => [s.Action].flat().includes('states:StartExecution'));
    // Step Functions authorizes an alias ARN against the state machine's ARN with the qualifier as a
    // condition key: only `live` is allowed.
    expect(starts).toHaveLength(2);
    for (const s of starts) {
      expect(s.Condition).toEqual({ StringEquals: { 'states:StateMachineQualifier': 'live' } });
    }
    expect(starts.map((s) => s.Resource)).toEqual(
      expect.arrayContaining([
        { Ref: logicalId(stack.workflow.stateMachine) },
        { Ref: logicalId(stack.rollbackWorkflow.stateMachine) },
      ]),
    );
  });

  it('retains the replaced versions of the functions the state machines invoke, and only those', () => {
    const versions = ofType('AWS::Lambda::Version');
    // One per function: the HTTP function, each shared step, each environment's verify hook.
    expect(versions).toHaveLength(1 + SHARED_STEP_NAMES.length + config.environments.length);
    // The functions some state machine's task names (by their version's FunctionName).
    const invoked = new Set(
      [...machines].flatMap(([, wf]) =>
        tasksOf(definitionOf(logicalId(wf.stateMachine))).map(([, state]) => {
          const versionId = /^<<Ref (\w+)>>$/.exec(invokedFunction(state))![1];
          return (resources[versionId].Properties.FunctionName as { Ref: string }).Ref;
        }),
      ),
    );
    expect(invoked.size).toBeGreaterThan(10);
    for (const [id, v] of versions) {
      const fn = (v.Properties.FunctionName as { Ref: string }).Ref;
      // Executions that started before a deploy still invoke the old version of a step: it stays. The others
      // are invoked through the alias `live` (or, SNS, unqualified): the old version goes.
      const kept = invoked.has(fn) ? 'Retain' : 'Delete';
      expect({
        id,
        fn,
        deletion: v.DeletionPolicy ?? 'Delete',
        replace: v.UpdateReplacePolicy ?? 'Delete',
      }).toEqual({
        id,
        fn,
        deletion: kept,
        replace: kept,
      });
    }
  });

  it('lets the state machines invoke every version of the functions they call, so older executions can finish', () => {
    for (const [, wf] of machines) {
      const roleId = stack.getLogicalId(wf.stateMachine.role.node.defaultChild as never);
      const invokable = ofType('AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(roleId))
        .flatMap(
          ([, p]) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
        )
        .filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'))
        .flatMap((s) => [s.Resource].flat())
        .map((r) => JSON.stringify(r));
      const called = new Set(
        tasksOf(definitionOf(logicalId(wf.stateMachine))).map(([, state]) => {
          const versionId = /^<<Ref (\w+)>>$/.exec(invokedFunction(state))![1];
          return (resources[versionId].Properties.FunctionName as { Ref: string }).Ref;
        }),
      );
      for (const fnId of called) {
        expect(invokable).toContain(
          JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [fnId, 'Arn'] }, ':*']] }),
        );
        // Executions started before Shipgate published versions name the function unqualified.
        expect(invokable).toContain(JSON.stringify({ 'Fn::GetAtt': [fnId, 'Arn'] }));
      }
    }
  });

  it('points every event source at the alias "live", never at the unqualified function (except SNS)', () => {
    const aliasIds = new Set(Object.values(stack.liveAliases).map((a) => logicalId(a)));
    for (const [id, alias] of ofType('AWS::Lambda::Alias')) {
      expect({ id, name: alias.Properties.Name }).toEqual({ id, name: 'live' });
    }
    expect(aliasIds.size).toBe(1 + SHARED_STEP_NAMES.length + config.environments.length);
    const functionIds = new Set(ofType('AWS::Lambda::Function').map(([id]) => id));
    const isUnqualified = (arn: unknown) => {
      const getAtt = (arn as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'];
      return Boolean(getAtt && functionIds.has(getAtt[0]));
    };
    const targets = [
      ...ofType('AWS::Events::Rule').flatMap(([, r]) =>
        ((r.Properties.Targets ?? []) as { Arn: unknown }[]).map((t) => t.Arn),
      ),
      ...ofType('AWS::Scheduler::Schedule').map(([, r]) => (r.Properties.Target as { Arn: unknown }).Arn),
      ...ofType('AWS::ApiGatewayV2::Integration').map(([, r]) => r.Properties.IntegrationUri),
    ];
    expect(targets.length).toBeGreaterThanOrEqual(4);
    for (const arn of targets) {
      expect(isUnqualified(arn)).toBe(false);
      const ref = (arn as { Ref?: string }).Ref;
      if (ref && resources[ref]?.Type === 'AWS::Lambda::Alias') expect(aliasIds.has(ref)).toBe(true);
    }
    // Asynchronous invocation settings (the on-failure destination) belong to the qualifier invoked. The one
    // exception: an SNS subscription's endpoint is a function, not an alias, so the alarm topic invokes
    // alarm-chat unqualified ($LATEST); it keeps no state across builds.
    const alarmChat = logicalId(stack.stepFunctions['alarm-chat']);
    for (const [, c] of ofType('AWS::Lambda::EventInvokeConfig')) {
      const qualifier = JSON.stringify(c.Properties.Qualifier);
      if ((c.Properties.FunctionName as { Ref?: string }).Ref === alarmChat) {
        expect(qualifier).toBe('"$LATEST"');
        continue;
      }
      expect([...aliasIds].some((id) => qualifier.includes(`"Ref":"${id}"`))).toBe(true);
    }
    for (const [, sub] of ofType('AWS::SNS::Subscription')) {
      expect(sub.Properties.Endpoint).toEqual({ 'Fn::GetAtt': [alarmChat, 'Arn'] });
    }
  });

  it('renders the same version-qualified tasks for the local executor', () => {
    const rendered = renderLocalDefinition(config, { functionVersion: '7' });
    for (const [name, task] of Object.entries(rendered.states)) {
      expect({ name, arn: task.functionArn }).toEqual({
        name,
        arn: `arn:aws:lambda:us-east-1:000000000000:function:shipgate-${task.step}:7`,
      });
    }
    expect(Object.keys(rendered.rollback.tasks)).toEqual([
      'arn:aws:lambda:us-east-1:000000000000:function:shipgate-manual-rollback:7',
    ]);
  });
});
