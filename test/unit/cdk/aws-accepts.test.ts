import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../../lambdas/shared/config';
import { SECRET_ENV } from '../../../lambdas/shared/secrets';
import { ShipgateStack } from '../../../lib/shipgate-stack';

/**
 * What AWS itself would refuse or break on, held as template assertions: things no local emulator shows.
 */

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };
const config = loadConfig('shipgate.config.yaml');
const stack = new ShipgateStack(new App(), 'Shipgate', { config, code: 'placeholder' });
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);

/** Statements of the inline policies attached to a function's role. */
function statementsOf(fn: { role?: { node: { defaultChild?: unknown } } }): Statement[] {
  const roleId = stack.getLogicalId(fn.role!.node.defaultChild as never);
  return ofType('AWS::IAM::Policy')
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** A name built from the stack's id: `{"Fn::Join": ["", [..., {"Fn::Select": [4, {"Fn::Split": ["-", …StackId…]}]}]]}`. */
const endsInStackCreationId = (name: unknown) => {
  const text = JSON.stringify(name);
  return text.includes('"Fn::Join"') && text.includes('"AWS::StackId"') && text.includes('"Fn::Select"');
};

describe('what AWS accepts', () => {
  it('lets the Scan step read ECR enhanced scanning findings (kept in Amazon Inspector)', () => {
    const statements = statementsOf(stack.stepFunctions.scan);
    const enhanced = statements.find((s) => s.Sid === 'ReadEnhancedScanFindings');
    expect(enhanced).toBeDefined();
    expect([enhanced!.Action].flat().sort()).toEqual(['inspector2:ListCoverage', 'inspector2:ListFindings']);
    // Inspector's List actions support no resource-level permissions.
    expect(enhanced!.Resource).toBe('*');
  });

  it('logs each state machine (release, manual rollback) under /aws/vendedlogs/states/, in a group a re-created stack does not clash with', () => {
    const groups = ofType('AWS::Logs::LogGroup').filter((g) =>
      JSON.stringify(g.Properties.LogGroupName ?? '').includes('/aws/vendedlogs/states/'),
    );
    expect(groups).toHaveLength(2);
    for (const group of groups) expect(endsInStackCreationId(group.Properties.LogGroupName)).toBe(true);
    const destinations = ofType('AWS::StepFunctions::StateMachine').map((m) =>
      JSON.stringify(m.Properties.LoggingConfiguration),
    );
    expect(destinations).toHaveLength(2);
    for (const workflow of [stack.workflow, stack.rollbackWorkflow]) {
      const logGroup = stack.getLogicalId(workflow.logGroup.node.defaultChild as never);
      expect(destinations.filter((d) => d.includes(logGroup))).toHaveLength(1);
    }
  });

  it('names each retained secret after the stack creation, so deleting and re-creating the stack works', () => {
    const secrets = ofType('AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(Object.keys(SECRET_ENV).length);
    const retained = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::SecretsManager::Secret' &&
        (r as { DeletionPolicy?: string }).DeletionPolicy === 'Retain',
    );
    expect(retained).toHaveLength(secrets.length);
    for (const secret of secrets) {
      expect({ name: secret.Properties.Name, unique: endsInStackCreationId(secret.Properties.Name) }).toEqual(
        {
          name: secret.Properties.Name,
          unique: true,
        },
      );
    }
  });
});
