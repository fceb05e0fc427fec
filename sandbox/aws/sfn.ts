import '../workflow/polyfills';
import { randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { StateMachineRegistry } from './sfn-versions';
import type { LocalLambdas } from '../workflow/lambda';
import { TaskTokens } from '../workflow/tokens';
import {
  AwsServiceEmulator,
  AwsServiceError,
  SANDBOX_ACCOUNT,
  SANDBOX_REGION,
  epochSeconds,
  paginate,
  requireString,
} from './protocol';
import { taskStates, validName, withExplicitTimeouts, type AnyState } from './sfn-definition';
import { currentState, ExecutionHistory, historyConsumed, historyPage, json, redact } from './sfn-history';
import type { ExecutionRecords, LocalStateMachine, SdkIntegration, StoredExecution } from './sfn-model';
import { runTask } from './sfn-task';

export type {
  ExecutionRecords,
  HistoryEvent,
  LocalStateMachine,
  SdkIntegration,
  StoredExecution,
} from './sfn-model';

interface Running {
  abort(): void;
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
  private readonly machines = new StateMachineRegistry();
  private readonly running = new Map<string, Running>();
  readonly tokens = new TaskTokens();
  /** Called after every change of an execution (console refresh, tests). */
  onChange: (execution: StoredExecution) => void = () => undefined;
  /** Called once when an execution ends (the sandbox's CloudWatch counts AWS/States metrics with it). */
  onFinished?: (execution: StoredExecution) => void;

  private readonly history: ExecutionHistory;

  constructor(
    private readonly store: ExecutionRecords,
    private readonly sdk: SdkIntegration,
  ) {
    this.history = new ExecutionHistory(store, (e) => this.onChange(e));
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
        stateMachines: this.machines.list().map((m) => ({
          stateMachineArn: m.arn,
          name: m.name,
          type: 'STANDARD',
          creationDate: m.createdAt,
        })),
      }),
      DescribeStateMachine: (i: Record<string, unknown>) => this.machines.describe(i.stateMachineArn),
      ListStateMachineVersions: (i: Record<string, unknown>) => this.machines.listVersions(i),
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
    return currentState(e);
  }

  /**
   * Registers a state machine, or publishes a new version of one already registered (a sandbox upgrade):
   * the alias `live` moves to it; executions already running keep the version they started on.
   */
  registerStateMachine(
    name: string,
    definition: StateMachineDefinition,
    lambdas: LocalLambdas,
  ): LocalStateMachine {
    return this.machines.publish(name, definition, lambdas);
  }

  /** Registered state machines (the newest version of each). */
  stateMachines(): LocalStateMachine[] {
    return this.machines.list();
  }

  /** All executions (of one state machine when given), newest first. */
  executions(stateMachineArn?: string): StoredExecution[] {
    const all = Object.values(this.store.executions).sort((a, b) => b.startDate - a.startDate);
    return stateMachineArn ? all.filter((e) => e.stateMachineArn === stateMachineArn) : all;
  }

  /** One execution by ARN. */
  execution(arn: string): StoredExecution | undefined {
    return this.store.executions[arn];
  }

  private startExecution(input: Record<string, unknown>) {
    // An alias or version ARN runs that version to the end, whatever is published meanwhile (issue 31).
    const { machine: m, versionArn, aliasArn } = this.machines.resolve(input.stateMachineArn);
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
      ...(versionArn ? { stateMachineVersionArn: versionArn } : {}),
      ...(aliasArn ? { stateMachineAliasArn: aliasArn } : {}),
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
    this.history.record(e, type, details);
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
    this.onFinished?.(e);
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
    // A stop abandons running tasks, so nothing lingers (not even the engine's TimeoutSeconds timer).
    const stopped = new AbortController();
    const taskContext = { record: this.record.bind(this), tokens, sdk: this.sdk, signal: stopped.signal };
    const overrides: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, state] of tasks) {
      overrides[name] = (taskInput) => runTask(taskContext, m, e, name, state, taskInput);
    }
    // Validated once in registerStateMachine (same definition, same explicit timeouts).
    const sm = new StateMachine(definition, { validationOptions: { noValidate: true } });
    const execution = sm.run(input as never, {
      overrides: { taskResourceLocalHandlers: overrides as never },
      context: context as never,
    });
    stopped.signal.addEventListener('abort', () => execution.abort(), { once: true });
    const running: Running = { abort: () => stopped.abort() };
    this.running.set(e.executionArn, running);
    const consumed = this.history.consumeEvents(
      e,
      execution.eventLogs as unknown as AsyncGenerator<Record<string, unknown>>,
    );
    execution.result
      .then(
        async (output) => {
          await historyConsumed(consumed);
          this.finish(e, 'SUCCEEDED', { output });
        },
        async (err: unknown) => {
          await historyConsumed(consumed);
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
      ...(e.stateMachineVersionArn ? { stateMachineVersionArn: e.stateMachineVersionArn } : {}),
      ...(e.stateMachineAliasArn ? { stateMachineAliasArn: e.stateMachineAliasArn } : {}),
    };
  }

  private listExecutions(input: Record<string, unknown>) {
    // A version or alias ARN lists the executions associated with it (ListExecutions, API reference).
    const { machine: m, versionArn, aliasArn } = this.machines.resolve(input.stateMachineArn);
    const filter = typeof input.statusFilter === 'string' ? input.statusFilter : undefined;
    const list = this.executions().filter(
      (e) =>
        e.stateMachineArn === m.arn &&
        (!filter || e.status === filter) &&
        (aliasArn
          ? e.stateMachineAliasArn === aliasArn
          : !versionArn || e.stateMachineVersionArn === versionArn),
    );
    const { page, nextToken } = paginate(list, input.maxResults, input.nextToken);
    return { executions: page.map((e) => this.summary(e)), nextToken };
  }

  private getExecutionHistory(input: Record<string, unknown>) {
    return historyPage(this.execOrThrow(requireString(input, 'executionArn')), input);
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
