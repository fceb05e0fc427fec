import { App, type CfnResource } from 'aws-cdk-lib';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { resolve } from 'node:path';
import type { ShipgateConfig } from '../../lambdas/shared/config';
import { REPO_ROOT } from '../constructs/shipgate-function';
import { ShipgateStack } from '../shipgate-stack';
import { SHARED_STEP_NAMES, STEPS, type StepName } from './steps';

/** Account and region the local rendering pretends to be in. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/**
 * Stable ARN of a step Lambda in a locally rendered definition.
 * @example localFunctionArn('scan') // 'arn:aws:lambda:us-east-1:000000000000:function:shipgate-scan'
 */
export function localFunctionArn(step: StepName): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:shipgate-${step}`;
}

/**
 * The version ARN a locally rendered definition invokes for a step: on AWS every Task state names the
 * function version the deploy published; locally the version is whatever the sandbox published last.
 * @example localFunctionVersionArn('scan', '3') // 'arn:aws:lambda:us-east-1:000000000000:function:shipgate-scan:3'
 */
export function localFunctionVersionArn(step: StepName, version: string): string {
  return `${localFunctionArn(step)}:${version}`;
}

/** Options of {@link renderLocalDefinition}. */
export interface RenderOptions {
  /** Stack name used for the rendering; it also names the state machine. @default 'Shipgate' */
  readonly stackName?: string;
  /**
   * Version number the Task states invoke (`…:function:shipgate-<step>:<version>`): the sandbox publishes a
   * new one per upgrade. @default '1'
   */
  readonly functionVersion?: string;
}

/** The Lambda behind a Task state of the rendered definition. */
export interface LocalTask {
  /** Step name (see `lib/workflow/steps.ts`), e.g. `start-rollout`. */
  readonly step: StepName;
  /** Absolute path of the handler file; it exports `handler`. */
  readonly entry: string;
}

/** An ASL document (plain JSON). */
export type AslDefinition = {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
  Comment?: string;
  [key: string]: unknown;
};

/** A Task state of the rendered definition and the Lambda behind it. */
export interface LocalTaskState extends LocalTask {
  /** Function version ARN the state invokes (`…:function:shipgate-<step>:<version>`). */
  readonly functionArn: string;
  /**
   * True for `lambda:invoke.waitForTaskToken` states: the state's effective input (after `Parameters`) is
   * `{ FunctionName, Payload }` and the Lambda receives only `Payload` (which carries `taskToken`); the state
   * completes with SendTaskSuccess/SendTaskFailure, not with the Lambda's return value. Otherwise the state
   * input is the payload itself and the Lambda's return value is the result.
   */
  readonly waitForTaskToken: boolean;
}

/** Result of {@link renderLocalDefinition}. */
export interface RenderedWorkflow {
  /**
   * The release state machine's ASL exactly as the stack deploys it, with every CDK token resolved
   * (account `000000000000`, region `us-east-1`, partition `aws`). Lambda steps appear as:
   * - invoke steps: `Resource` = the function version ARN (payloadResponseOnly), `Parameters` = the payload;
   * - waitForTaskToken steps ("Approve <env>", "Start rollout <env>", "Await rollout <env>"):
   *   `Resource` = `arn:aws:states:::lambda:invoke.waitForTaskToken`, function version ARN in
   *   `Parameters.FunctionName`, payload (with `taskToken.$: "$$.Task.Token"`) in `Parameters.Payload`.
   */
  readonly definition: AslDefinition;
  /**
   * Function version ARN (`arn:aws:lambda:us-east-1:000000000000:function:shipgate-<step>:<version>`) → the
   * step and its handler file, for every Lambda the definition references.
   */
  readonly tasks: Record<string, LocalTask>;
  /** Every Task state (including those inside Map item processors) by state name. */
  readonly states: Record<string, LocalTaskState>;
  /** Name of the state machine, e.g. `shipgate-release`. */
  readonly stateMachineName: string;
  /**
   * The manual rollback state machine (`POST /api/rollbacks`), rendered the same way: its definition, the
   * Lambdas it invokes and its name (e.g. `shipgate-rollback`).
   */
  readonly rollback: {
    readonly definition: AslDefinition;
    readonly tasks: Record<string, LocalTask>;
    readonly stateMachineName: string;
  };
}

/**
 * Synthesizes the Shipgate stack in-process (no bundling: the functions get placeholder code) and returns
 * the release state machine's definition with all tokens resolved, plus the map from each Lambda ARN in it
 * to the handler file to run locally. Fast enough to call at sandbox start.
 * @example
 * const { definition, tasks } = renderLocalDefinition(loadConfig());
 * const machine = new StateMachine(definition); // aws-local-stepfunctions
 */
export function renderLocalDefinition(config: ShipgateConfig, options: RenderOptions = {}): RenderedWorkflow {
  const app = new App({ analyticsReporting: false });
  const stack = new ShipgateStack(app, options.stackName ?? 'Shipgate', {
    config,
    code: 'placeholder',
    env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
  });
  const version = options.functionVersion ?? '1';
  // The definition names each step's published version (`Ref` of its AWS::Lambda::Version).
  const byVersionId = new Map<string, StepName>();
  for (const step of SHARED_STEP_NAMES) {
    // The version's logical id ends in a hash of the function's configuration, resolved lazily.
    const id = stack.resolve((stack.stepVersions[step].node.defaultChild as CfnResource).logicalId);
    byVersionId.set(id as string, step);
  }
  let used = new Set<StepName>();
  const render = (machine: CfnStateMachine): AslDefinition => {
    const resolved = resolveIntrinsics(stack.resolve(machine.definitionString), (logicalId, attribute) => {
      const step = byVersionId.get(logicalId);
      if (!step || attribute !== 'Ref') {
        throw new Error(
          `renderLocalDefinition: unexpected reference ${logicalId}.${attribute} in the definition (Task states must name a function version)`,
        );
      }
      used.add(step);
      return localFunctionVersionArn(step, version);
    });
    if (typeof resolved !== 'string') {
      throw new Error('renderLocalDefinition: the state machine definition did not resolve to a string');
    }
    return JSON.parse(resolved) as AslDefinition;
  };
  const cfn = stack.workflow.stateMachine.node.defaultChild as CfnStateMachine;
  const definition = render(cfn);
  const releaseSteps = used;
  used = new Set<StepName>();
  const rollbackCfn = stack.rollbackWorkflow.stateMachine.node.defaultChild as CfnStateMachine;
  const rollbackDefinition = render(rollbackCfn);
  const taskMap = (steps: Iterable<StepName>) => {
    const tasks: Record<string, LocalTask> = {};
    for (const step of steps) {
      tasks[localFunctionVersionArn(step, version)] = { step, entry: resolve(REPO_ROOT, STEPS[step].entry) };
    }
    return tasks;
  };
  const tasks = taskMap(releaseSteps);
  return {
    definition,
    tasks,
    states: taskStates(definition, tasks),
    stateMachineName: stack.resolve(cfn.stateMachineName) as string,
    rollback: {
      definition: rollbackDefinition,
      tasks: taskMap(used),
      stateMachineName: stack.resolve(rollbackCfn.stateMachineName) as string,
    },
  };
}

/** Resource of the Lambda waitForTaskToken integration. */
export const WAIT_FOR_TASK_TOKEN_RESOURCE = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** The Task states of a definition (Map item processors included) with the Lambda each one invokes. */
function taskStates(
  definition: AslDefinition,
  tasks: Record<string, LocalTask>,
): Record<string, LocalTaskState> {
  const out: Record<string, LocalTaskState> = {};
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      const processor = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
      if (processor) walk(processor.States);
      if (state.Type !== 'Task') continue;
      const waitForTaskToken = state.Resource === WAIT_FOR_TASK_TOKEN_RESOURCE;
      const functionArn = waitForTaskToken
        ? String((state.Parameters as { FunctionName?: unknown } | undefined)?.FunctionName)
        : String(state.Resource);
      const task = tasks[functionArn];
      if (!task)
        throw new Error(`renderLocalDefinition: state "${name}" invokes unknown function ${functionArn}`);
      out[name] = { ...task, functionArn, waitForTaskToken };
    }
  };
  walk(definition.States);
  return out;
}

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * Evaluates the CloudFormation intrinsics CDK uses in a definition string (Fn::Join, Ref, Fn::GetAtt); a
 * `Ref` of a resource reaches `getAtt` with the attribute `Ref`.
 */
function resolveIntrinsics(
  value: unknown,
  getAtt: (logicalId: string, attribute: string) => string,
): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, getAtt));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [key] = keys;
    if (key === 'Fn::Join') {
      const [sep, parts] = obj[key] as [string, unknown[]];
      return parts.map((p) => String(resolveIntrinsics(p, getAtt))).join(sep);
    }
    if (key === 'Ref') {
      const name = obj[key] as string;
      if (name in PSEUDO) return PSEUDO[name];
      return getAtt(name, 'Ref');
    }
    if (key === 'Fn::GetAtt') {
      const [logicalId, attribute] = obj[key] as [string, string];
      return getAtt(logicalId, attribute);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolveIntrinsics(obj[k], getAtt)]));
}
