import { join } from 'node:path';
import { JsonStore } from '../store';
import { SandboxAccounts } from './accounts';
import { CloudWatchEmulator, CloudWatchState } from './cloudwatch';
import { CodeDeployEmulator, CodeDeployState } from './codedeploy';
import { EcrEmulator, EcrState } from './ecr';
import { pullableImages } from './ecr-registry';
import { EcsEmulator, EcsState, EventSink, type ImageRegistry } from './ecs';
import { EventBuses, type EventBusState } from './event-buses';
import { ExecutionStore } from './execution-store';
import { SANDBOX_ACCOUNT, type AwsServiceEmulator } from './protocol';
import { SfnEmulator, SdkIntegration } from './sfn';
import { SqsEmulator, SqsState } from './sqs';
import { SsmEmulator, SsmState } from './ssm';

/** The emulated services whose resources every account has of its own (an environment owns these). */
export interface AccountEmulators {
  ecr: EcrEmulator;
  ecs: EcsEmulator;
  ssm: SsmEmulator;
  codeDeploy: CodeDeployEmulator;
  cloudwatch: CloudWatchEmulator;
}

/** Every emulated service with its persistent store; the top-level ones are Shipgate's account's. */
export interface Emulators extends AccountEmulators {
  sfn: SfnEmulator;
  /** SQS: the on-failure destination of asynchronously invoked Lambdas (`shipgate redrive` reads it). */
  sqs: SqsEmulator;
  /** The default event bus of every account (rules, forwarding, bus policies). */
  events: EventBuses;
  /** The accounts, their keys and roles, and STS's sessions. */
  accounts: SandboxAccounts;
  /**
   * The emulators of an account: Shipgate's own (000000000000) are the top-level ones.
   * @throws Error for an account the sandbox does not emulate.
   */
  inAccount(account: string): AccountEmulators;
  /** Writes every store now. */
  flush(): void;
  /** Stops rollout timers and writes every store. */
  close(): void;
}

/** Options of `createEmulators`. */
export interface EmulatorOptions {
  /** Directory of the JSON state files (`<stateDir>/aws/*.json`, other accounts under `aws/accounts/<id>/`). */
  stateDir: string;
  /**
   * Receives the ECS and CodeDeploy events that reach Shipgate's event bus (EventBridge envelope): those of
   * account 000000000000, and those other accounts' rules forward there and its policy accepts.
   */
  sink: EventSink;
  /** Performs `aws-sdk:*` task integrations of the state machine. */
  sdk: SdkIntegration;
  /** Duration of each rollout phase. @default 300 */
  phaseMs?: number;
  /** Base URL of the AWS endpoint (SQS queue URLs point there). */
  endpoint?: () => string;
  /** Shortest real wait of an ECS PAUSE hook (ms). @default 0 */
  humanWaitMs?: number;
  /** The environments' accounts besides Shipgate's own (`environments[].aws.account`). @default none */
  accounts?: readonly string[];
}

/** The emulators the AWS-compatible endpoint serves to callers of `account` (DynamoDB goes to dynalite). */
export function servedEmulators(e: Emulators, account = SANDBOX_ACCOUNT): AwsServiceEmulator[] {
  const a = e.inAccount(account);
  const own = [a.ecs, a.ecr, a.ssm, a.codeDeploy, a.cloudwatch, e.events];
  return account === SANDBOX_ACCOUNT ? [e.sfn, ...own, e.sqs] : own;
}

function accountEmulators(
  dir: string,
  account: string,
  sink: EventSink,
  o: EmulatorOptions,
  images: (ecr: EcrEmulator) => ImageRegistry,
) {
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
    cloudwatch: new JsonStore<CloudWatchState>(join(dir, 'cloudwatch.json'), () => ({ alarms: {} })),
  };
  const phaseMs = o.phaseMs ?? 300;
  const ecr = new EcrEmulator(stores.ecr, account);
  const ecs = new EcsEmulator(stores.ecs, images(ecr), sink, phaseMs, o.humanWaitMs, account);
  const emulators: AccountEmulators = {
    ecr,
    ecs,
    ssm: new SsmEmulator(stores.ssm, account),
    codeDeploy: new CodeDeployEmulator(stores.codeDeploy, ecs, sink, phaseMs, account),
    cloudwatch: new CloudWatchEmulator(stores.cloudwatch, account),
  };
  return { emulators, stores: Object.values(stores) };
}

/** Creates the emulated services over the state dir: Shipgate's account and every other account. */
export function createEmulators(options: EmulatorOptions): Emulators {
  const dir = join(options.stateDir, 'aws');
  const eventStore = new JsonStore<EventBusState>(join(dir, 'events.json'), () => ({ buses: {} }));
  const events = new EventBuses(eventStore, options.sink);
  const others = [...new Set(options.accounts ?? [])].filter((a) => a !== SANDBOX_ACCOUNT);
  const accounts = new SandboxAccounts([SANDBOX_ACCOUNT, ...others]);
  const own = accountEmulators(
    dir,
    SANDBOX_ACCOUNT,
    (e) => events.put(SANDBOX_ACCOUNT, e),
    options,
    (ecr) => ecr,
  );
  const byAccount = new Map([[SANDBOX_ACCOUNT, own.emulators]]);
  const stores: { flush(): void }[] = [eventStore, ...own.stores];
  for (const account of others) {
    const made = accountEmulators(
      join(dir, 'accounts', account),
      account,
      (e) => events.put(account, e),
      options,
      (ecr) => pullableImages(account, ecr, own.emulators.ecr),
    );
    byAccount.set(account, made.emulators);
    stores.push(...made.stores);
  }
  const executions = new ExecutionStore(join(dir, 'executions'));
  const sfn = new SfnEmulator(executions, options.sdk);
  const sqsStore = new JsonStore<SqsState>(join(dir, 'sqs.json'), () => ({ queues: {} }));
  stores.push(executions, sqsStore);
  const sqs = new SqsEmulator(sqsStore, options.endpoint);
  const flush = () => stores.forEach((s) => s.flush());
  return {
    ...own.emulators,
    sfn,
    sqs,
    events,
    accounts,
    inAccount: (account) => {
      const found = byAccount.get(account);
      if (!found) {
        throw new Error(
          `The sandbox emulates no account ${account}; it has ${[...byAccount.keys()].join(', ')} (an account comes from environments[].aws in the config).`,
        );
      }
      return found;
    },
    flush,
    close: () => {
      for (const a of byAccount.values()) {
        a.ecs.close();
        a.codeDeploy.close();
      }
      flush();
    },
  };
}
