import { Annotations, Fn, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct, type IConstruct } from 'constructs';
import type { GitLabNetwork as GitLabNetworkConfig } from '../../lambdas/shared/config';
import type { SecretName } from '../../lambdas/shared/secrets';
import type { ShipgateFunctionProps } from './shipgate-function';

/**
 * Whether a function calls GitLab: every GitLab API call (commit statuses, deployments, compare, security
 * reports, freeze periods, merge request labels, pause feedback) authenticates with the GitLab token
 * (`lambdas/domain/gitlab/client.ts`, `feedback.ts`), and signing in on a review page exchanges the code at
 * GitLab's token endpoint with the OpenID Connect client secret (`lambdas/domain/decisions/oidc.ts`); so the
 * functions given either secret are exactly the ones that call GitLab.
 */
export function callsGitLab(secrets: readonly SecretName[]): boolean {
  return secrets.includes('gitlabToken') || secrets.includes('oidcClientSecret');
}

/** Properties of {@link GitLabNetwork}. */
export interface GitLabNetworkProps {
  /** The config's `gitlab.network`: VPC, subnets and security groups, all existing (not created here). */
  readonly network: GitLabNetworkConfig;
}

/**
 * Where the functions that call a private GitLab run: the subnets and security groups the config names (a
 * self-managed GitLab in a private network). The network is the operator's: nothing here creates or changes a
 * subnet, route, security group or VPC endpoint; the functions only get `VpcConfig` (README, "Network paths",
 * lists the routes and endpoints those subnets need).
 */
export class GitLabNetwork extends Construct {
  /** The placement to give a {@link ShipgateFunctionProps.network}. */
  readonly placement: NonNullable<ShipgateFunctionProps['network']>;

  constructor(scope: Construct, id: string, props: GitLabNetworkProps) {
    super(scope, id);
    const { vpcId, subnetIds, securityGroupIds } = props.network;
    // One placeholder zone: the function takes the subnet list whole (VpcConfig.SubnetIds) and never reads
    // the zones, which are the subnets' own.
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId,
      availabilityZones: [Fn.select(0, Fn.getAzs())],
      privateSubnetIds: subnetIds,
    });
    for (const subnet of vpc.privateSubnets) {
      Annotations.of(subnet).acknowledgeWarning(
        '@aws-cdk/aws-ec2:noSubnetRouteTableId',
        'Nothing here reads the route table: the subnets and their routes are the operator’s.',
      );
    }
    // Imported, never changed here: their rules are the operator's (egress to GitLab, the endpoints, chat).
    const securityGroups = securityGroupIds.map((groupId) =>
      ec2.SecurityGroup.fromSecurityGroupId(this, groupId, groupId, { mutable: false }),
    );
    this.placement = {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups,
    };
  }

  /** Acknowledges, on a placed function, the managed policy CDK attaches to functions in a VPC. */
  acknowledgeVpcAccess(fn: IConstruct): void {
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason:
        'CDK attaches the AWS managed VPC access execution role to a function in a VPC: it only creates, describes and deletes the function’s own network interfaces.',
    });
  }
}
