import { Duration, Validations } from 'aws-cdk-lib';
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

/**
 * One Shipgate Lambda: Node.js 22 on arm64, the esbuild bundle of `buildLambdaBundles` (CommonJS, source
 * maps, the AWS SDK v3 inside, the config inlined), X-Ray tracing, JSON logs and Powertools settings.
 */
export class ShipgateFunction extends Construct {
  /** The Lambda function. */
  readonly function: lambda.Function;

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

    if (mode === 'placeholder') {
      this.function = new lambda.Function(this, 'Function', {
        ...common,
        handler: 'index.handler',
        code: lambda.Code.fromInline(PLACEHOLDER_CODE),
      });
      return;
    }
    if (!props.bundle) {
      throw new Error(
        `ShipgateFunction ${id}: a bundle (buildLambdaBundles) is required unless code is 'placeholder'`,
      );
    }
    this.function = new lambda.Function(this, 'Function', {
      ...common,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(props.bundle.dir),
    });
  }
}
