import { join } from 'node:path';
import { JsonStore } from '../store';
import { CloudWatchEmulator, CloudWatchState } from './cloudwatch';
import { CodeDeployEmulator, CodeDeployState } from './codedeploy';
import { EcrEmulator, EcrState } from './ecr';
import { EcsEmulator, EcsState, EventSink } from './ecs';
import { ExecutionStore } from './execution-store';
import { SfnEmulator, SdkIntegration } from './sfn';
import { SqsEmulator, SqsState } from './sqs';
import { SsmEmulator, SsmState } from './ssm';

/** Every emulated service with its persistent store. */
export interface Emulators {
  ecr: EcrEmulator;
  ecs: EcsEmulator;
  ssm: SsmEmulator;
  codeDeploy: CodeDeployEmulator;
  sfn: SfnEmulator;
  cloudwatch: CloudWatchEmulator;
  /** SQS: the on-failure destination of asynchronously invoked Lambdas (`shipgate redrive` reads it). */
  sqs: SqsEmulator;
  /** Writes every store now. */
  flush(): void;
  /** Stops rollout timers and writes every store. */
  close(): void;
}

/** Options of `createEmulators`. */
export interface EmulatorOptions {
  /** Directory of the JSON state files (`<stateDir>/aws/*.json`). */
  stateDir: string;
  /** Receives ECS and CodeDeploy deployment state-change events (EventBridge envelope). */
  sink: EventSink;
  /** Performs `aws-sdk:*` task integrations of the state machine. */
  sdk: SdkIntegration;
  /** Duration of each rollout phase. @default 300 */
  phaseMs?: number;
  /** Base URL of the AWS endpoint (SQS queue URLs point there). */
  endpoint?: () => string;
  /** Shortest real wait of an ECS PAUSE hook (ms). @default 0 */
  humanWaitMs?: number;
}

/** The emulators the AWS-compatible endpoint serves (DynamoDB goes to dynalite). */
export function servedEmulators(e: Emulators) {
  return [e.sfn, e.ecs, e.ecr, e.ssm, e.codeDeploy, e.cloudwatch, e.sqs];
}

/** Creates the emulated services over the state dir. */
export function createEmulators(options: EmulatorOptions): Emulators {
  const dir = join(options.stateDir, 'aws');
  const stores = {
    ecr: new JsonStore<EcrState>(join(dir, 'ecr.json'), () => ({ repositories: {} })),
    ecs: new JsonStore<EcsState>(join(dir, 'ecs.json'), () => ({
      clusters: {},
      services: {},
      taskDefinitions: {},
      serviceDeployments: {},
    })),
    ssm: new JsonStore<SsmState>(join(dir, 'ssm.json'), () => ({ parameters: {} })),
    codeDeploy: new JsonStore<CodeDeployState>(join(dir, 'codedeploy.json'), () => ({
      groups: {},
      deployments: {},
    })),
    sfn: new ExecutionStore(join(dir, 'executions')),
    cloudwatch: new JsonStore<CloudWatchState>(join(dir, 'cloudwatch.json'), () => ({ alarms: {} })),
    sqs: new JsonStore<SqsState>(join(dir, 'sqs.json'), () => ({ queues: {} })),
  };
  const phaseMs = options.phaseMs ?? 300;
  const ecr = new EcrEmulator(stores.ecr);
  const ecs = new EcsEmulator(stores.ecs, ecr, options.sink, phaseMs, options.humanWaitMs);
  const ssm = new SsmEmulator(stores.ssm);
  const codeDeploy = new CodeDeployEmulator(stores.codeDeploy, ecs, options.sink, phaseMs);
  const sfn = new SfnEmulator(stores.sfn, options.sdk);
  const cloudwatch = new CloudWatchEmulator(stores.cloudwatch);
  const sqs = new SqsEmulator(stores.sqs, options.endpoint);
  const flush = () => Object.values(stores).forEach((s) => s.flush());
  return {
    ecr,
    ecs,
    ssm,
    codeDeploy,
    sfn,
    cloudwatch,
    sqs,
    flush,
    close: () => {
      ecs.close();
      codeDeploy.close();
      flush();
    },
  };
}
