import { Annotations, CfnOutput, CfnParameter, Duration, Fn, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { LambdaBundle } from '../build/lambda-bundles';
import { ShipgateFunction, type FunctionCodeMode } from './shipgate-function';

/** SSM parameter names the environment's Terraform (`terraform/modules/smoke-check`) writes. */
export function smokeCheckParameterNames(
  prefix: string,
  environment: string,
): { vpcId: string; subnetIds: string; securityGroupId: string } {
  const base = `${prefix}/${environment}/smoke-check`;
  return {
    vpcId: `${base}/vpc-id`,
    subnetIds: `${base}/subnet-ids`,
    securityGroupId: `${base}/security-group-id`,
  };
}

/** Properties of {@link SmokeCheckHook}. */
export interface SmokeCheckHookProps {
  /** The environment (shipgate.config.yaml `environments[].name`) whose VPC the hook runs in. */
  readonly environment: string;
  /** Prefix of the SSM parameters Terraform writes (the config's `contractsPrefix`). */
  readonly parameterPrefix: string;
  /** The `verify-hook` bundle. @default undefined (only with code 'placeholder') */
  readonly bundle?: LambdaBundle;
  /** How the code is built. @default 'bundle' */
  readonly code?: FunctionCodeMode;
  /** Function timeout. */
  readonly timeout: Duration;
  /** Shown in the Lambda console. */
  readonly description: string;
  /** Environment variables. @default {} */
  readonly environmentVariables?: Readonly<Record<string, string>>;
}

/**
 * Shipgate's smoke check for one environment: the `verify-hook` function (ECS invokes it at
 * POST_TEST_TRAFFIC_SHIFT; it calls the service on the test listener), placed in that environment's private
 * subnets with the security group the environment's Terraform created for it. The test listener admits that
 * group by reference (docs/architecture.md, "Network path of the smoke check"). Subnets, group and VPC are
 * read at deploy time from the SSM parameters Terraform writes, as CloudFormation SSM parameter types, so
 * the stack deploys after the environments and a changed subnet is picked up by the next deploy.
 */
export class SmokeCheckHook extends Construct {
  /** The hook function. */
  readonly function: lambda.Function;
  /** Its alias `live` (what ECS invokes: `SHIPGATE_VERIFY_HOOK_ARNS`). */
  readonly liveAlias: lambda.Alias;
  /** The CloudFormation parameter holding the hook's security group id. */
  readonly securityGroupIdParameter: CfnParameter;
  /** The CloudFormation parameter holding the hook's subnet ids. */
  readonly subnetIdsParameter: CfnParameter;

  constructor(scope: Construct, id: string, props: SmokeCheckHookProps) {
    super(scope, id);
    const names = smokeCheckParameterNames(props.parameterPrefix, props.environment);
    const vpcId = new CfnParameter(this, 'VpcId', {
      type: 'AWS::SSM::Parameter::Value<AWS::EC2::VPC::Id>',
      default: names.vpcId,
      description: `SSM parameter with the VPC of ${props.environment} (written by Terraform)`,
    });
    this.subnetIdsParameter = new CfnParameter(this, 'SubnetIds', {
      type: 'AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>',
      default: names.subnetIds,
      description: `SSM parameter with the private subnets of ${props.environment} for the smoke check (written by Terraform)`,
    });
    this.securityGroupIdParameter = new CfnParameter(this, 'SecurityGroupId', {
      type: 'AWS::SSM::Parameter::Value<AWS::EC2::SecurityGroup::Id>',
      default: names.securityGroupId,
      description: `SSM parameter with the smoke check's security group in ${props.environment} (written by Terraform)`,
    });
    // The subnet list is only known at deploy time: one "zone" keeps CDK from splitting it, so the function
    // gets the whole list (VpcConfig.SubnetIds = the parameter).
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: vpcId.valueAsString,
      availabilityZones: [Fn.select(0, Fn.getAzs())],
      privateSubnetIds: this.subnetIdsParameter.valueAsList,
    });
    Annotations.of(vpc).acknowledgeWarning(
      '@aws-cdk/aws-ec2:vpcAttributeIsListTokenprivateSubnetIds',
      'Only the Lambda function uses this VPC, and it takes the subnet list whole (VpcConfig.SubnetIds), so the list need not be known at synthesis.',
    );
    for (const subnet of vpc.privateSubnets) {
      Annotations.of(subnet).acknowledgeWarning(
        '@aws-cdk/aws-ec2:noSubnetRouteTableId',
        'Nothing here reads the route table: the network and its routes are Terraform’s.',
      );
    }
    // Imported, never changed here: its rules are Terraform's (egress to the test listener and the
    // endpoints only), so the test listener's reference means exactly this function.
    const securityGroup = ec2.SecurityGroup.fromSecurityGroupId(
      this,
      'SecurityGroup',
      this.securityGroupIdParameter.valueAsString,
      { mutable: false, allowAllOutbound: false },
    );
    const made = new ShipgateFunction(this, 'Hook', {
      // ECS invokes the alias `live`; no state machine invokes the hook.
      invokedByStateMachine: false,
      bundle: props.bundle,
      code: props.code,
      description: props.description,
      timeout: props.timeout,
      environment: props.environmentVariables,
      network: {
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [securityGroup],
      },
    });
    this.function = made.function;
    this.liveAlias = made.liveAlias;
    new CfnOutput(this, 'Network', {
      value: Fn.join(' ', [
        vpcId.valueAsString,
        this.securityGroupIdParameter.valueAsString,
        Fn.join(',', this.subnetIdsParameter.valueAsList),
      ]),
      description: `Where the ${props.environment} verify hook runs: VPC, security group, subnets (from Terraform's SSM parameters)`,
    }).overrideLogicalId(`${id}Network`); // stable key, e.g. VerifyHookStagingNetwork (README "Stack outputs")
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason:
        'CDK attaches the AWS managed VPC access execution role to a function in a VPC: it only creates, describes and deletes the function’s own network interfaces.',
    });
  }
}
