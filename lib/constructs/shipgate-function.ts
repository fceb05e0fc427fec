import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { LambdaBundle } from '../build/lambda-bundles';

export { BUNDLE_EXTERNALS, REPO_ROOT } from '../build/lambda-bundles';

/** How a {@link ShipgateFunction} gets its code. */
export type FunctionCodeMode =
  /** The handler's bundle from `buildLambdaBundles` (lib/build/lambda-bundles.ts), the one build. */
  | 'bundle'
  /**
   * A tiny inline placeholder that throws when invoked. Used to render the state machine for the
   * local executor, which never invokes the Lambda: it runs the handler file in-process instead.
   */
  | 'placeholder';

/** Properties of {@link ShipgateFunction}. */
export interface ShipgateFunctionProps {
  /**
   * The function's bundle, from `buildLambdaBundles` (the same files the sandbox and the integration tests
   * run). Required for 'bundle'.
   * @default undefined (only allowed with 'placeholder')
   */
  readonly bundle?: LambdaBundle;
  /** Shown in the Lambda console. */
  readonly description: string;
  /** Function timeout. */
  readonly timeout: Duration;
  /** Memory in MB. @default 512 */
  readonly memorySize?: number;
  /** Environment variables (besides the Powertools ones this construct sets). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** How the code is built. @default 'bundle' */
  readonly code?: FunctionCodeMode;
  /** Log retention of the function's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Whether a state machine invokes the function's versions. Then a replaced version is retained, since
   * executions that started on it still invoke it; otherwise (only the alias `live` is invoked) CloudFormation
   * deletes it once the alias has moved on.
   * @default true
   */
  readonly invokedByStateMachine?: boolean;
  /**
   * Place the function in a VPC: these subnets and security groups (CDK then adds the VPC access execution
   * role's permissions). @default not in a VPC
   */
  readonly network?: {
    readonly vpc: ec2.IVpc;
    readonly vpcSubnets: ec2.SubnetSelection;
    readonly securityGroups: ec2.ISecurityGroup[];
  };
}

const PLACEHOLDER_CODE =
  "exports.handler = async () => { throw new Error('Shipgate placeholder: rendered for local execution only'); };";

/** Name of the alias every Shipgate function's event sources invoke: the version the last deploy published. */
export const LIVE_ALIAS = 'live';

/**
 * One Shipgate Lambda: Node.js 22 on arm64, the esbuild bundle of `buildLambdaBundles` (CommonJS, source
 * maps, the AWS SDK v3 inside, the config inlined), X-Ray tracing, JSON logs and Powertools settings.
 *
 * Every deploy that changes the code or configuration publishes a new version ({@link version}); the state
 * machines invoke versions, so an execution that started before an upgrade runs the code it started with to
 * its end. Old versions of the functions state machines invoke are retained (`RemovalPolicy.RETAIN`):
 * CloudFormation would otherwise delete a version while executions still invoke it; docs/architecture.md
 * ("Upgrading Shipgate") says how to remove those no running execution needs. Those of the others go. Event sources (API Gateway, EventBridge, the
 * scheduler, ECS lifecycle hooks) invoke the {@link liveAlias}, which each deploy moves to the new version.
 */
export class ShipgateFunction extends Construct {
  /** The Lambda function (grants and environment go here; invoke the version or the alias). */
  readonly function: lambda.Function;
  /** The version this deploy published (what the state machines' tasks invoke). */
  readonly version: lambda.IVersion;
  /** Alias `live` → {@link version}: what event sources invoke. */
  readonly liveAlias: lambda.Alias;

  constructor(scope: Construct, id: string, props: ShipgateFunctionProps) {
    super(scope, id);
    const mode = props.code ?? 'bundle';
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    const common = {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      ...(props.network ?? {}),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'shipgate',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    } satisfies Partial<lambda.FunctionProps>;

    const acknowledge = (id: string, reason: string) => Validations.of(this).acknowledge({ id, reason });
    acknowledge(
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'The AWS managed basic execution role only grants writing this function’s own CloudWatch logs.',
    );
    acknowledge(
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords (and, for rollout steps, ECS RegisterTaskDefinition/DescribeTaskDefinition) support no resource-level permissions, so AWS requires "*".',
    );
    acknowledge(
      'AwsSolutions-L1',
      'Shipgate pins Node.js 22 (LTS), the runtime its code and bundles are built and tested for; moving to a newer runtime is a deliberate upgrade.',
    );

    if (mode !== 'placeholder' && !props.bundle) {
      throw new Error(
        `ShipgateFunction ${id}: a bundle (buildLambdaBundles) is required unless code is 'placeholder'`,
      );
    }
    this.function = new lambda.Function(this, 'Function', {
      ...common,
      handler: 'index.handler',
      code:
        mode === 'placeholder'
          ? lambda.Code.fromInline(PLACEHOLDER_CODE)
          : lambda.Code.fromAsset(props.bundle!.dir),
      // A changed bundle or configuration gets a new AWS::Lambda::Version (CDK hashes both into its logical
      // id). The replaced one is retained when executions that started before the deploy still invoke it.
      currentVersionOptions:
        props.invokedByStateMachine === false
          ? {
              removalPolicy: RemovalPolicy.DESTROY,
              description: 'Published by a Shipgate deploy; invoked through the alias live only',
            }
          : {
              removalPolicy: RemovalPolicy.RETAIN,
              description: 'Published by a Shipgate deploy; executions that started on it keep invoking it',
            },
    });
    this.version = this.function.currentVersion;
    this.liveAlias = new lambda.Alias(this, 'Live', {
      aliasName: LIVE_ALIAS,
      version: this.version,
      description: 'What event sources invoke: the version the last deploy published',
    });
  }
}
