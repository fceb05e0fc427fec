import '../workflow/polyfills';
import { randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { logger } from '../../lambdas/shared/logger';
import type { ExecutionStore } from './execution-store';
import { LocalLambdas } from '../workflow/lambda';
import { TaskOutcome, TaskTokens } from '../workflow/tokens';
import {
  AwsServiceEmulator,
  AwsServiceError,
  SANDBOX_ACCOUNT,
  SANDBOX_REGION,
  epochSeconds,
  paginate,
  requireString,
} from './protocol';

/** One event of an execution's history, shaped like `GetExecutionHistory`'s. */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

/** A persisted execution. */
export interface StoredExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
}

/** A state machine the sandbox runs. */
export interface LocalStateMachine {
  name: string;
  arn: string;
  definition: StateMachineDefinition;
  definitionText: string;
  createdAt: number;
  lambdas: LocalLambdas;
}

/** Performs an AWS SDK service integration (`arn:aws:states:::aws-sdk:<service>:<action>`) locally. */
export type SdkIntegration = (service: string, action: string, parameters: unknown) => Promise<unknown>;

/** Tokens of the form `TaskTokens.mint` produces; kept out of recorded history. */
const TOKEN_PATTERN = /AQ[A-Za-z0-9_-]{128}/g;

/** Longest timer Node can arm (~24.8 days); AWS's "no timeout" default is longer, nothing here waits that long. */
const MAX_TIMER_SECONDS = 2_147_483;

function redact(text: string): string {
  return text.replace(TOKEN_PATTERN, '«task token»');
}

function json(value: unknown): string {
  return redact(JSON.stringify(value ?? null));
}

const NAME_PATTERN = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/;

/** Execution names: AWS's allowed characters, no control characters. */
function validName(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return NAME_PATTERN.test(name) && !/[\u0000-\u001f\u007f-\u009f]/.test(name);
}

/** The error a task raises when its Step Functions task fails (name = error, message = cause). */
class TaskFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

interface Running {
  abort(): void;
}

type AnyState = Record<string, unknown> & { Type: string };

/** Every Task state of a definition, nested Map/Parallel states included, by name. */
function taskStates(def: { States: Record<string, AnyState> }, out: Map<string, AnyState> = new Map()) {
  for (const [name, state] of Object.entries(def.States)) {
    if (state.Type === 'Task') out.set(name, state);
    const processor = (state.ItemProcessor ?? state.Iterator) as
      { States: Record<string, AnyState> } | undefined;
    if (processor) taskStates(processor, out);
    for (const branch of (state.Branches ?? []) as { States: Record<string, AnyState> }[])
      taskStates(branch, out);
  }
  return out;
}

/** Gives every Task state a finite timeout so the engine's 60-second default never applies (AWS has none). */
function withExplicitTimeouts(def: StateMachineDefinition): StateMachineDefinition {
  const copy = JSON.parse(JSON.stringify(def)) as StateMachineDefinition;
  for (const state of taskStates(copy as unknown as { States: Record<string, AnyState> }).values()) {
    if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = MAX_TIMER_SECONDS;
    } else if (typeof state.TimeoutSeconds === 'number') {
      state.TimeoutSeconds = Math.min(state.TimeoutSeconds, MAX_TIMER_SECONDS);
    }
  }
  return copy;
}

/**
 * Emulated AWS Step Functions: the release state machine executed locally by aws-local-stepfunctions,
 * Lambda tasks bound to the handler code in this process, `waitForTaskToken` tasks resumed by
 * `SendTaskSuccess`/`SendTaskFailure`, and the history AWS would record. Executions persist; one that was
 * running when the sandbox stopped is recorded as ABORTED with the reason.
 */
export class SfnEmulator implements AwsServiceEmulator {
  readonly targetPrefix = 'AWSStepFunctions';
  readonly contentType = 'application/x-amz-json-1.0';
  readonly operations;
  private readonly machines = new Map<string, LocalStateMachine>();
  private readonly running = new Map<string, Running>();
  readonly tokens = new TaskTokens();
  /** Called after every change of an execution (console refresh, tests). */
  onChange: (execution: StoredExecution) => void = () => undefined;

  constructor(
    private readonly store: ExecutionStore,
    private readonly sdk: SdkIntegration,
  ) {
    this.operations = {
      StartExecution: (i: Record<string, unknown>) => this.startExecution(i),
      DescribeExecution: (i: Record<string, unknown>) => this.describeExecution(i),
      ListExecutions: (i: Record<string, unknown>) => this.listExecutions(i),
      GetExecutionHistory: (i: Record<string, unknown>) => this.getExecutionHistory(i),
      StopExecution: (i: Record<string, unknown>) => this.stopExecution(i),
      SendTaskSuccess: (i: Record<string, unknown>) => {
        this.tokens.succeed(i.taskToken, i.output);
        return {};
      },
      SendTaskFailure: (i: Record<string, unknown>) => {
        this.tokens.fail(i.taskToken, i.error, i.cause);
        return {};
      },
      SendTaskHeartbeat: (i: Record<string, unknown>) => {
        this.tokens.heartbeat(i.taskToken);
        return {};
      },
      ListStateMachines: () => ({
        stateMachines: [...this.machines.values()].map((m) => ({
          stateMachineArn: m.arn,
          name: m.name,
          type: 'STANDARD',
          creationDate: m.createdAt,
        })),
      }),
      DescribeStateMachine: (i: Record<string, unknown>) => this.describeStateMachine(i),
    };
  }

  /**
   * Marks executions left RUNNING by a previous sandbox process as ABORTED, naming the state they were in.
   */
  recoverInterrupted(reason: string): StoredExecution[] {
    const aborted: StoredExecution[] = [];
    for (const e of Object.values(this.store.executions)) {
      if (e.status !== 'RUNNING') continue;
      this.finish(e, 'ABORTED', {
        error: 'Sandbox.Interrupted',
        cause: this.interruptedCause(e, reason),
      });
      aborted.push(e);
    }
    return aborted;
  }

  /** Why an execution was aborted by a sandbox stop or crash, and how to release the commit again. */
  private interruptedCause(e: StoredExecution, reason: string): string {
    // Execution names are fixed per pipeline, so resending the webhook answers this same aborted execution.
    return (
      `${reason} while this execution was in "${this.currentState(e) ?? 'its first state'}"; it cannot resume. ` +
      'A resend of the same webhook answers this aborted execution; run a new pipeline for the commit ' +
      '(CI/CD → Run pipeline) to release it again.'
    );
  }

  /** Name of the state the execution is in (last entered top-level state not yet exited). */
  currentState(e: StoredExecution): string | undefined {
    const open: string[] = [];
    for (const ev of e.history) {
      const entered = ev.stateEnteredEventDetails as { name: string } | undefined;
      const exited = ev.stateExitedEventDetails as { name: string } | undefined;
      if (entered) open.push(entered.name);
      if (exited) {
        const i = open.lastIndexOf(exited.name);
        if (i >= 0) open.splice(i, 1);
      }
    }
    return open[open.length - 1];
  }

  /** Registers a state machine; returns its ARN. */
  registerStateMachine(
    name: string,
    definition: StateMachineDefinition,
    lambdas: LocalLambdas,
  ): LocalStateMachine {
    // Validate now, so a broken definition fails at start-up, not at the first release. Also the form each
    // execution runs (explicit timeouts), which `run` then does not validate again: asl-validator compiles its
    // JSON schema with ajv on every check, ~170 ms of CPU per execution (bench/README.md, "Scaling").
    new StateMachine(definition, { validationOptions: { checkArn: false } });
    new StateMachine(withExplicitTimeouts(definition), { validationOptions: { checkArn: false } });
    const machine: LocalStateMachine = {
      name,
      arn: `arn:aws:states:${SANDBOX_REGION}:${SANDBOX_ACCOUNT}:stateMachine:${name}`,
      definition,
      definitionText: JSON.stringify(definition, null, 2),
      createdAt: epochSeconds(),
      lambdas,
    };
    this.machines.set(machine.arn, machine);
    return machine;
  }

  /** Registered state machines. */
  stateMachines(): LocalStateMachine[] {
    return [...this.machines.values()];
  }

  /** All executions, newest first. */
  executions(): StoredExecution[] {
    return Object.values(this.store.executions).sort((a, b) => b.startDate - a.startDate);
  }

  /** One execution by ARN. */
  execution(arn: string): StoredExecution | undefined {
    return this.store.executions[arn];
  }

  private machine(arn: unknown): LocalStateMachine {
    const m = typeof arn === 'string' ? this.machines.get(arn) : undefined;
    if (!m) {
      throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
    }
    return m;
  }

  private describeStateMachine(input: Record<string, unknown>) {
    const m = this.machine(input.stateMachineArn);
    return {
      stateMachineArn: m.arn,
      name: m.name,
      status: 'ACTIVE',
      definition: m.definitionText,
      roleArn: `arn:aws:iam::${SANDBOX_ACCOUNT}:role/${m.name}-role`,
      type: 'STANDARD',
      creationDate: m.createdAt,
      loggingConfiguration: { level: 'ALL', includeExecutionData: true },
      tracingConfiguration: { enabled: true },
    };
  }

  private startExecution(input: Record<string, unknown>) {
    const m = this.machine(input.stateMachineArn);
    const name = typeof input.name === 'string' ? input.name : randomUUID();
    if (!validName(name)) {
      throw new AwsServiceError(
        'InvalidName',
        `Invalid Name: '${name}' (1-80 characters; no whitespace, brackets, wildcards or the characters " # % \\ ^ | ~ \` $ & , ; : /)`,
      );
    }
    const inputText = typeof input.input === 'string' ? input.input : '{}';
    let parsed: unknown;
    try {
      parsed = JSON.parse(inputText);
    } catch (err) {
      throw new AwsServiceError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${(err as Error).message}'`,
      );
    }
    const arn = `arn:aws:states:${SANDBOX_REGION}:${SANDBOX_ACCOUNT}:execution:${m.name}:${name}`;
    const existing = this.store.executions[arn];
    if (existing) {
      // AWS: the same name and input while the execution runs is idempotent; anything else is a clash.
      if (existing.status === 'RUNNING' && existing.input === inputText) {
        return { executionArn: arn, startDate: existing.startDate };
      }
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const execution: StoredExecution = {
      executionArn: arn,
      stateMachineArn: m.arn,
      name,
      status: 'RUNNING',
      startDate: epochSeconds(),
      input: inputText,
      history: [],
    };
    this.store.executions[arn] = execution;
    this.store.changed(arn);
    this.record(execution, 'ExecutionStarted', {
      executionStartedEventDetails: {
        input: redact(inputText),
        inputDetails: { truncated: false },
        roleArn: `arn:aws:iam::${SANDBOX_ACCOUNT}:role/${m.name}-role`,
      },
    });
    this.run(m, execution, parsed);
    return { executionArn: arn, startDate: execution.startDate };
  }

  private record(e: StoredExecution, type: string, details: Record<string, unknown> = {}): void {
    const last = e.history[e.history.length - 1];
    e.history.push({
      timestamp: epochSeconds(),
      type,
      id: (last?.id ?? 0) + 1,
      previousEventId: last?.id ?? 0,
      ...details,
    });
    this.store.changed(e.executionArn);
    this.onChange(e);
  }

  private finish(
    e: StoredExecution,
    status: StoredExecution['status'],
    result: { output?: unknown; error?: string; cause?: string },
  ): void {
    if (e.status !== 'RUNNING') return;
    e.status = status;
    e.stopDate = epochSeconds();
    this.tokens.closeExecution(e.executionArn);
    if (status === 'SUCCEEDED') {
      e.output = json(result.output);
      this.record(e, 'ExecutionSucceeded', {
        executionSucceededEventDetails: { output: e.output, outputDetails: { truncated: false } },
      });
    } else {
      e.error = result.error;
      e.cause = result.cause === undefined ? undefined : redact(result.cause);
      const key = {
        FAILED: ['ExecutionFailed', 'executionFailedEventDetails'],
        TIMED_OUT: ['ExecutionTimedOut', 'executionTimedOutEventDetails'],
        ABORTED: ['ExecutionAborted', 'executionAbortedEventDetails'],
        RUNNING: ['', ''],
        SUCCEEDED: ['', ''],
      }[status];
      this.record(e, key[0], { [key[1]]: { error: e.error, cause: e.cause } });
    }
    this.store.changed(e.executionArn);
  }

  private run(m: LocalStateMachine, e: StoredExecution, input: unknown): void {
    const definition = withExplicitTimeouts(m.definition);
    const tasks = taskStates(definition as unknown as { States: Record<string, AnyState> });
    const tokens = this.tokens;
    const context = {
      Execution: {
        Id: e.executionArn,
        Name: e.name,
        RoleArn: `arn:aws:iam::${SANDBOX_ACCOUNT}:role/${m.name}-role`,
        StartTime: new Date(e.startDate * 1000).toISOString(),
      },
      StateMachine: { Id: m.arn, Name: m.name },
      Task: {
        get Token(): string {
          return tokens.mint(e.executionArn);
        },
      },
    };
    const overrides: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of tasks) {
      overrides[name] = (taskInput) => this.runTask(m, e, name, state, taskInput);
    }
    // Validated once in registerStateMachine (same definition, same explicit timeouts).
    const sm = new StateMachine(definition, { validationOptions: { noValidate: true } });
    const execution = sm.run(input as never, {
      overrides: { taskResourceLocalHandlers: overrides as never },
      context: context as never,
    });
    const running: Running = { abort: () => execution.abort() };
    this.running.set(e.executionArn, running);
    const consumed = this.consumeEvents(
      e,
      execution.eventLogs as unknown as AsyncGenerator<Record<string, unknown>>,
    );
    execution.result
      .then(
        async (output) => {
          await Promise.race([consumed, new Promise((r) => setTimeout(r, 1000))]);
          this.finish(e, 'SUCCEEDED', { output });
        },
        async (err: unknown) => {
          await Promise.race([consumed, new Promise((r) => setTimeout(r, 1000))]);
          if (err instanceof ExecutionAbortedError) {
            this.finish(e, 'ABORTED', { error: 'Sandbox.Stopped', cause: 'The execution was stopped.' });
          } else if (err instanceof ExecutionTimeoutError) {
            this.finish(e, 'TIMED_OUT', {
              error: 'States.Timeout',
              cause: 'The execution exceeded its TimeoutSeconds.',
            });
          } else {
            const inner = err instanceof ExecutionError ? (err.cause as Error | undefined) : (err as Error);
            this.finish(e, 'FAILED', {
              error: inner?.name ?? 'States.Runtime',
              cause: inner?.message ?? String(err),
            });
          }
        },
      )
      .finally(() => {
        this.running.delete(e.executionArn);
      });
  }

  private async consumeEvents(e: StoredExecution, events: AsyncGenerator<Record<string, unknown>>) {
    for await (const ev of events as AsyncGenerator<{
      type: string;
      state?: { name: string; type: string; input: unknown; output?: unknown };
      parentState?: { name: string };
      index?: number;
      Error?: string;
      Cause?: unknown;
    }>) {
      if (e.status !== 'RUNNING') continue;
      switch (ev.type) {
        case 'StateEntered':
          this.record(e, `${ev.state!.type}StateEntered`, {
            stateEnteredEventDetails: {
              name: ev.state!.name,
              input: json(ev.state!.input),
              inputDetails: { truncated: false },
            },
          });
          break;
        case 'StateExited':
          this.record(e, `${ev.state!.type}StateExited`, {
            stateExitedEventDetails: {
              name: ev.state!.name,
              output: json(ev.state!.output),
              outputDetails: { truncated: false },
            },
          });
          break;
        case 'MapIterationStarted':
        case 'MapIterationSucceeded':
        case 'MapIterationFailed': {
          const key = `mapIteration${ev.type.slice('MapIteration'.length)}EventDetails`;
          this.record(e, ev.type, { [key]: { name: ev.parentState?.name, index: ev.index } });
          break;
        }
        default:
          // Execution-level events are recorded by `finish`; StateFailed/Retried/Caught have no AWS
          // equivalent (TaskFailed and the next state's entry tell the same story).
          break;
      }
    }
  }

  private async runTask(
    m: LocalStateMachine,
    e: StoredExecution,
    stateName: string,
    state: AnyState,
    input: unknown,
  ): Promise<unknown> {
    // Armed before anything else so it fires ahead of the engine's own timer for the same TimeoutSeconds
    // (which only rejects the state): this one records TaskTimedOut and closes the task token, as AWS does.
    const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
    let timedOut = false;
    let onTimeout: () => void = () => undefined;
    const timeoutTimer = timeoutSeconds
      ? setTimeout(() => {
          timedOut = true;
          onTimeout();
        }, timeoutSeconds * 1000)
      : undefined;
    timeoutTimer?.unref();
    // Let the engine's StateEntered event be recorded before this task's own events.
    await new Promise((r) => setImmediate(r));
    const resource = String(state.Resource);
    const waitForToken = resource.endsWith('.waitForTaskToken');
    const lambdaInvoke = /^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/.test(resource);
    const directLambda = /^arn:aws:lambda:/.test(resource);
    const sdk =
      /^arn:aws:states:::(?:aws-sdk:)?([a-z0-9-]+):([A-Za-z0-9]+)(\.waitForTaskToken|\.sync)?$/.exec(
        resource,
      );
    const resourceType = lambdaInvoke || directLambda ? 'lambda' : (sdk?.[1] ?? 'unknown');
    const resourceName = lambdaInvoke
      ? resource.slice('arn:aws:states:::lambda:'.length)
      : directLambda
        ? resource
        : sdk
          ? resource.slice(resource.indexOf(sdk[1]) + sdk[1].length + 1)
          : resource;
    const base = { resourceType, resource: resourceName };
    this.record(e, 'TaskScheduled', {
      taskScheduledEventDetails: {
        ...base,
        region: SANDBOX_REGION,
        parameters: json(input),
        ...(typeof state.TimeoutSeconds === 'number' ? { timeoutInSeconds: state.TimeoutSeconds } : {}),
        ...(typeof state.HeartbeatSeconds === 'number' ? { heartbeatInSeconds: state.HeartbeatSeconds } : {}),
      },
    });
    this.record(e, 'TaskStarted', { taskStartedEventDetails: base });

    let token: string | undefined;
    let waiting: Promise<TaskOutcome> | undefined;
    let settleWaiting: ((outcome: TaskOutcome) => void) | undefined;
    let timers: NodeJS.Timeout[] = [];
    const clearTimers = () => {
      timers.forEach((t) => clearTimeout(t));
      timers = [];
    };
    if (waitForToken) {
      token = this.tokens.findIn(input, e.executionArn);
      if (!token) {
        logger.warn(
          'A waitForTaskToken task does not pass $$.Task.Token to its resource; it can only time out',
          {
            executionArn: e.executionArn,
            state: stateName,
          },
        );
      } else {
        const t = token;
        waiting = new Promise<TaskOutcome>((resolveOutcome) => {
          settleWaiting = resolveOutcome;
          const heartbeatSeconds =
            typeof state.HeartbeatSeconds === 'number' ? state.HeartbeatSeconds : undefined;
          let heartbeatTimer: NodeJS.Timeout | undefined;
          const armHeartbeat = () => {
            if (!heartbeatSeconds) return;
            if (heartbeatTimer) clearTimeout(heartbeatTimer);
            heartbeatTimer = setTimeout(
              () => {
                // AWS records a heartbeat timeout as TaskTimedOut with error States.HeartbeatTimeout.
                timedOut = true;
                this.record(e, 'TaskTimedOut', {
                  taskTimedOutEventDetails: {
                    ...base,
                    error: 'States.HeartbeatTimeout',
                    cause: `No SendTaskHeartbeat within ${heartbeatSeconds} seconds (HeartbeatSeconds).`,
                  },
                });
                resolveOutcome({
                  ok: false,
                  error: 'States.HeartbeatTimeout',
                  cause: `No SendTaskHeartbeat within ${heartbeatSeconds} seconds (HeartbeatSeconds).`,
                });
              },
              Math.min(heartbeatSeconds, MAX_TIMER_SECONDS) * 1000,
            );
            heartbeatTimer.unref();
            timers.push(heartbeatTimer);
          };
          armHeartbeat();
          this.tokens.wait(t, {
            executionArn: e.executionArn,
            settle: resolveOutcome,
            heartbeat: armHeartbeat,
          });
        });
      }
    }
    onTimeout = () => {
      if (token) this.tokens.close(token);
      if (e.status === 'RUNNING') {
        this.record(e, 'TaskTimedOut', {
          taskTimedOutEventDetails: {
            ...base,
            error: 'States.Timeout',
            cause: `The task did not finish within ${timeoutSeconds} seconds (TimeoutSeconds).`,
          },
        });
      }
      settleWaiting?.({
        ok: false,
        error: 'States.Timeout',
        cause: `TimeoutSeconds (${timeoutSeconds}) elapsed.`,
      });
    };

    try {
      let result: unknown;
      if (lambdaInvoke || directLambda) {
        const params = (input ?? {}) as { FunctionName?: string; Payload?: unknown };
        const fn = lambdaInvoke ? String(params.FunctionName ?? '') : resource;
        const payload = lambdaInvoke ? (params.Payload ?? {}) : input;
        const invoked = await m.lambdas.invoke(fn, payload);
        result = lambdaInvoke
          ? {
              ExecutedVersion: '$LATEST',
              Payload: invoked,
              SdkHttpMetadata: { HttpStatusCode: 200 },
              SdkResponseMetadata: { RequestId: randomUUID() },
              StatusCode: 200,
            }
          : invoked;
      } else if (sdk) {
        result = await this.sdk(sdk[1], sdk[2], input);
      } else {
        throw new TaskFailure('States.Runtime', `The sandbox cannot run Task resource "${resource}".`);
      }
      if (waiting) {
        this.record(e, 'TaskSubmitted', { taskSubmittedEventDetails: { ...base, output: json(result) } });
        const outcome = await waiting;
        if (!outcome.ok) throw new TaskFailure(outcome.error, outcome.cause);
        result = outcome.output;
      }
      this.record(e, 'TaskSucceeded', { taskSucceededEventDetails: { ...base, output: json(result) } });
      return result;
    } catch (err) {
      const error = err instanceof Error && err.name && err.name !== 'Error' ? err.name : 'States.TaskFailed';
      const cause = err instanceof Error ? err.message : String(err);
      if (e.status === 'RUNNING' && !timedOut) {
        this.record(e, 'TaskFailed', { taskFailedEventDetails: { ...base, error, cause: redact(cause) } });
      }
      throw err instanceof Error && err.name === error ? err : new TaskFailure(error, cause);
    } finally {
      clearTimers();
      if (timeoutTimer) clearTimeout(timeoutTimer);
      if (token) this.tokens.close(token);
    }
  }

  private execOrThrow(arn: unknown): StoredExecution {
    const e = typeof arn === 'string' ? this.store.executions[arn] : undefined;
    if (!e) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    return e;
  }

  private summary(e: StoredExecution) {
    return {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate,
      ...(e.stopDate ? { stopDate: e.stopDate } : {}),
    };
  }

  private describeExecution(input: Record<string, unknown>) {
    const e = this.execOrThrow(requireString(input, 'executionArn'));
    return {
      ...this.summary(e),
      input: redact(e.input),
      inputDetails: { included: true },
      ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
    };
  }

  private listExecutions(input: Record<string, unknown>) {
    const m = this.machine(input.stateMachineArn);
    const filter = typeof input.statusFilter === 'string' ? input.statusFilter : undefined;
    const list = this.executions().filter(
      (e) => e.stateMachineArn === m.arn && (!filter || e.status === filter),
    );
    const { page, nextToken } = paginate(list, input.maxResults, input.nextToken);
    return { executions: page.map((e) => this.summary(e)), nextToken };
  }

  private getExecutionHistory(input: Record<string, unknown>) {
    const e = this.execOrThrow(requireString(input, 'executionArn'));
    let events = [...e.history];
    if (input.reverseOrder === true) events.reverse();
    if (input.includeExecutionData === false) {
      events = events.map((ev) => {
        const copy: HistoryEvent = { ...ev };
        for (const [k, v] of Object.entries(copy)) {
          if (k.endsWith('EventDetails') && v && typeof v === 'object') {
            const { input: _i, output: _o, parameters: _p, ...rest } = v as Record<string, unknown>;
            void _i;
            void _o;
            void _p;
            copy[k] = rest;
          }
        }
        return copy;
      });
    }
    const { page, nextToken } = paginate(events, input.maxResults, input.nextToken, 100);
    return { events: page, nextToken };
  }

  private stopExecution(input: Record<string, unknown>) {
    const e = this.execOrThrow(requireString(input, 'executionArn'));
    if (e.status === 'RUNNING') {
      const error = typeof input.error === 'string' ? input.error : undefined;
      const cause = typeof input.cause === 'string' ? input.cause : undefined;
      this.finish(e, 'ABORTED', { error, cause });
      this.running.get(e.executionArn)?.abort();
    }
    return { stopDate: e.stopDate ?? epochSeconds() };
  }

  /** Aborts every running execution, recording why (sandbox shutdown); returns them. */
  abortAll(reason: string): StoredExecution[] {
    const aborted: StoredExecution[] = [];
    for (const [arn, r] of this.running) {
      const e = this.store.executions[arn];
      if (!e) continue;
      aborted.push(e);
      this.finish(e, 'ABORTED', { error: 'Sandbox.Interrupted', cause: this.interruptedCause(e, reason) });
      r.abort();
    }
    return aborted;
  }
}
