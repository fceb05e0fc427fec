import * as iam from 'aws-cdk-lib/aws-iam';
import type { IVersion } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Name of the alias new executions start through (the state machine version the last deploy published). */
export const WORKFLOW_ALIAS = 'live';

/** Properties of {@link PublishedWorkflow}. */
export interface PublishedWorkflowProps {
  /** The state machine to publish. */
  readonly stateMachine: sfn.StateMachine;
  /** Description of each published version. */
  readonly description: string;
}

/**
 * A state machine published as a Step Functions version (`AWS::StepFunctions::StateMachineVersion`) behind
 * the alias `live` (`AWS::StepFunctions::StateMachineAlias`). The version follows the state machine's
 * revision id, so a deploy that changes the definition (new function versions included) publishes a new
 * version and moves the alias to it; executions started through the alias are associated with the version
 * they started on ("How Step Functions associates executions with a version or alias", developer guide).
 * A replaced version is deleted by CloudFormation: "Deleting a state machine version won't terminate its
 * in-progress executions" (DeleteStateMachineVersion, API reference), and the function versions those
 * executions call are retained (`ShipgateFunction`).
 */
export class PublishedWorkflow extends Construct {
  /** The version this deploy published. */
  readonly version: sfn.CfnStateMachineVersion;
  /** The alias `live` → {@link version}. */
  readonly alias: sfn.CfnStateMachineAlias;
  /** ARN of the alias (`arn:…:stateMachine:<name>:live`): what StartExecution is called with. */
  readonly aliasArn: string;

  constructor(scope: Construct, id: string, props: PublishedWorkflowProps) {
    super(scope, id);
    const machine = props.stateMachine.node.defaultChild as sfn.CfnStateMachine;
    this.version = new sfn.CfnStateMachineVersion(this, 'Version', {
      stateMachineArn: props.stateMachine.stateMachineArn,
      // A new revision (a changed definition) replaces this resource, i.e. publishes a new version.
      stateMachineRevisionId: machine.attrStateMachineRevisionId,
      description: props.description,
    });
    this.alias = new sfn.CfnStateMachineAlias(this, 'Alias', {
      name: WORKFLOW_ALIAS,
      description: 'New executions start here: the version the last deploy published',
      routingConfiguration: [{ stateMachineVersionArn: this.version.attrArn, weight: 100 }],
    });
    this.aliasArn = this.alias.attrArn;
  }

  /**
   * Lets `grantee` start executions through the alias and nothing else: Step Functions authorizes a
   * qualified ARN against the state machine's ARN, scoped by the `states:StateMachineQualifier` condition
   * key ("Authorization for versions and aliases", developer guide).
   */
  grantStartExecution(grantee: iam.IGrantable, stateMachine: sfn.IStateMachine): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['states:StartExecution'],
      resourceArns: [stateMachine.stateMachineArn],
      conditions: { StringEquals: { 'states:StateMachineQualifier': WORKFLOW_ALIAS } },
    });
  }
}

/**
 * Lets the state machine invoke every version of the function behind `version`. CDK's LambdaInvoke grants
 * only the version this deploy published; executions that started before the deploy still invoke older
 * versions, with the same role. The unqualified function too: executions started by a Shipgate from before
 * published versions name it, and they may wait at an approval through the upgrade that brings versions.
 */
export function grantInvokeEveryVersion(stateMachine: sfn.StateMachine, version: IVersion): void {
  stateMachine.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['lambda:InvokeFunction'],
      resources: [version.lambda.functionArn, `${version.lambda.functionArn}:*`],
    }),
  );
}
