import { randomUUID } from 'node:crypto';
import { logger } from '../../lambdas/shared/logger';
import type { TaskOutcome, TaskTokens } from '../workflow/tokens';
import { MAX_TIMER_SECONDS, type AnyState } from './sfn-definition';
import { json, redact } from './sfn-history';
import type { LocalStateMachine, SdkIntegration, StoredExecution } from './sfn-model';
import { SANDBOX_REGION } from './protocol';

/** The error a task raises when its Step Functions task fails (name = error, message = cause). */
export class TaskFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/** What a Task state needs from the emulator: its history, the task tokens, the SDK integrations. */
export interface TaskContext {
  record(e: StoredExecution, type: string, details?: Record<string, unknown>): void;
  readonly tokens: TaskTokens;
  readonly sdk: SdkIntegration;
  /** Aborted when the execution stops: a task still running is abandoned, as Step Functions abandons it. */
  readonly signal?: AbortSignal;
}

/** `work`, unless `signal` aborts first (then the task is abandoned with `States.Runtime`). */
function abandonedOnAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  const abandoned = () => new TaskFailure('States.Runtime', 'The execution stopped while the task ran.');
  if (signal.aborted) return Promise.reject(abandoned());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abandoned());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Runs one Task state as Step Functions does: a Lambda invocation (`Resource` = function ARN, or
 * `lambda:invoke[.waitForTaskToken]`) or an SDK integration, with `TimeoutSeconds`, `HeartbeatSeconds` and
 * `waitForTaskToken` honoured, recording TaskScheduled … TaskSucceeded/TaskFailed/TaskTimedOut.
 */
export async function runTask(
  ctx: TaskContext,
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
  const sdk = /^arn:aws:states:::(?:aws-sdk:)?([a-z0-9-]+):([A-Za-z0-9]+)(\.waitForTaskToken|\.sync)?$/.exec(
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
  ctx.record(e, 'TaskScheduled', {
    taskScheduledEventDetails: {
      ...base,
      region: SANDBOX_REGION,
      parameters: json(input),
      ...(typeof state.TimeoutSeconds === 'number' ? { timeoutInSeconds: state.TimeoutSeconds } : {}),
      ...(typeof state.HeartbeatSeconds === 'number' ? { heartbeatInSeconds: state.HeartbeatSeconds } : {}),
    },
  });
  ctx.record(e, 'TaskStarted', { taskStartedEventDetails: base });

  let token: string | undefined;
  let waiting: Promise<TaskOutcome> | undefined;
  let settleWaiting: ((outcome: TaskOutcome) => void) | undefined;
  let timers: NodeJS.Timeout[] = [];
  const clearTimers = () => {
    timers.forEach((t) => clearTimeout(t));
    timers = [];
  };
  if (waitForToken) {
    token = ctx.tokens.findIn(input, e.executionArn);
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
              ctx.record(e, 'TaskTimedOut', {
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
        ctx.tokens.wait(t, {
          executionArn: e.executionArn,
          settle: resolveOutcome,
          heartbeat: armHeartbeat,
        });
      });
    }
  }
  onTimeout = () => {
    if (token) ctx.tokens.close(token);
    if (e.status === 'RUNNING') {
      ctx.record(e, 'TaskTimedOut', {
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
      const invoked = await abandonedOnAbort(m.lambdas.invoke(fn, payload), ctx.signal);
      result = lambdaInvoke
        ? {
            // The version that ran: the one the Task state names (issue 31).
            ExecutedVersion: /:function:[^:]+:([0-9]+)$/.exec(fn)?.[1] ?? '$LATEST',
            Payload: invoked,
            SdkHttpMetadata: { HttpStatusCode: 200 },
            SdkResponseMetadata: { RequestId: randomUUID() },
            StatusCode: 200,
          }
        : invoked;
    } else if (sdk) {
      result = await abandonedOnAbort(ctx.sdk(sdk[1], sdk[2], input), ctx.signal);
    } else {
      throw new TaskFailure('States.Runtime', `The sandbox cannot run Task resource "${resource}".`);
    }
    if (waiting) {
      ctx.record(e, 'TaskSubmitted', { taskSubmittedEventDetails: { ...base, output: json(result) } });
      const outcome = await waiting;
      if (!outcome.ok) throw new TaskFailure(outcome.error, outcome.cause);
      result = outcome.output;
    }
    ctx.record(e, 'TaskSucceeded', { taskSucceededEventDetails: { ...base, output: json(result) } });
    return result;
  } catch (err) {
    const error = err instanceof Error && err.name && err.name !== 'Error' ? err.name : 'States.TaskFailed';
    const cause = err instanceof Error ? err.message : String(err);
    if (e.status === 'RUNNING' && !timedOut) {
      ctx.record(e, 'TaskFailed', { taskFailedEventDetails: { ...base, error, cause: redact(cause) } });
    }
    throw err instanceof Error && err.name === error ? err : new TaskFailure(error, cause);
  } finally {
    clearTimers();
    if (timeoutTimer) clearTimeout(timeoutTimer);
    if (token) ctx.tokens.close(token);
  }
}
