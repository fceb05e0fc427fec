import { Duration, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** Repository root (where package.json and the lambdas live). */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/**
 * Packages left out of every Lambda bundle. The runtime provides the AWS SDK v3; `yaml` is only required
 * when the config is read from a file, which a bundle never does (its config document is inlined).
 */
export const BUNDLE_EXTERNALS: readonly string[] = ['@aws-sdk/*', 'yaml'];

/** How a {@link ShipgateFunction} gets its code. */
export type FunctionCodeMode =
  /** esbuild bundle of the handler file (local esbuild, no Docker). */
  | 'bundle'
  /**
   * A tiny inline placeholder that throws when invoked. Used to render the state machine for the
   * local executor, which never invokes the Lambda: it runs the handler file in-process instead.
   */
  | 'placeholder';

/** Properties of {@link ShipgateFunction}. */
export interface ShipgateFunctionProps {
  /** Handler file relative to the repository root; it must `export const handler`. */
  readonly entry: string;
  /** Shown in the Lambda console. */
  readonly description: string;
  /** Function timeout. */
  readonly timeout: Duration;
  /** Memory in MB. @default 512 */
  readonly memorySize?: number;
  /** Environment variables (besides the Powertools ones this construct sets). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Source document of the Shipgate config (before validation), inlined into the bundle as
   * `process.env.SHIPGATE_CONFIG_JSON` so `loadConfig()` needs no file at run time. Required for 'bundle'.
   * @default undefined (only allowed with 'placeholder')
   */
  readonly configDocument?: unknown;
  /** How the code is built. @default 'bundle' */
  readonly code?: FunctionCodeMode;
  /** Log retention of the function's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

const PLACEHOLDER_CODE =
  "exports.handler = async () => { throw new Error('Shipgate placeholder: rendered for local execution only'); };";

/**
 * One Shipgate Lambda: Node.js 22 on arm64, esbuild bundle (CommonJS, source maps, AWS SDK v3 left to the
 * runtime), the validated config inlined, X-Ray tracing, JSON logs and Powertools settings.
 */
export class ShipgateFunction extends Construct {
  /** The Lambda function. */
  readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: ShipgateFunctionProps) {
    super(scope, id);
    const mode = props.code ?? 'bundle';
    const entry = resolve(REPO_ROOT, props.entry);
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
    if (props.configDocument === undefined) {
      throw new Error(`ShipgateFunction ${id}: configDocument is required to bundle ${props.entry}`);
    }
    if (!existsSync(entry)) {
      throw new Error(
        `ShipgateFunction ${id}: handler file ${props.entry} does not exist; create it (export const handler) before synthesizing.`,
      );
    }
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...common,
      entry,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: resolve(REPO_ROOT, 'package-lock.json'),
      bundling: {
        format: nodejs.OutputFormat.CJS,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        forceDockerBundling: false,
        externalModules: [...BUNDLE_EXTERNALS],
        define: {
          // A JS string literal whose value is the JSON document (esbuild `define` takes JS expressions).
          'process.env.SHIPGATE_CONFIG_JSON': JSON.stringify(JSON.stringify(props.configDocument)),
        },
      },
    });
  }
}
