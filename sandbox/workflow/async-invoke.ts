import { randomUUID } from 'node:crypto';
import { logger } from '../../lambdas/shared/logger';
import type { SqsEmulator } from '../aws/sqs';
import { lambdaErrorDocument, type LocalLambdas } from './lambda';

/**
 * Lambda's asynchronous invocation, as the Lambda developer guide ("Asynchronous invocation", "Configuring
 * error handling for asynchronous invocation", "Capturing records of asynchronous invocations") describes
 * it: the event is queued and the caller gets 202 at once; when the function returns an error Lambda
 * retries it twice (by default; `MaximumRetryAttempts` 0–2), waiting about one minute before the second
 * attempt and two minutes before the third; once the retries are exhausted the invocation record goes to
 * the on-failure destination (here an emulated SQS queue), with the request payload, the condition
 * `RetriesExhausted`, the attempt count and the function's error as `responsePayload`.
 *
 * The sandbox scales the waits: one "minute" lasts `retryUnitMs` (SHIPGATE_SANDBOX_RETRY_MS, default 1000).
 * EventBridge rules and EventBridge Scheduler invoke Lambda this way too, so the sandbox's deployment
 * events, execution status changes and reconciler runs all go through here.
 */

/** One function's asynchronous invocation settings (the stack's EventInvokeConfig). */
export interface AsyncConfig {
  /** 0–2. @default 2 */
  maximumRetryAttempts?: number;
}

/** Name of the sandbox's on-failure destination queue (the stack's FailedEvents queue). */
export const FAILED_EVENTS_QUEUE = 'shipgate-failed-events';

/** The async invocation record Lambda sends to an on-failure destination. */
export interface InvocationRecord {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetriesExhausted';
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext: { statusCode: 200; executedVersion: '$LATEST'; functionError: 'Unhandled' };
  responsePayload: { errorType: string; errorMessage: string; trace: string[] };
}

/** Runs asynchronous invocations of the local functions with retries and the on-failure destination. */
export class AsyncInvoker {
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly lambdas: LocalLambdas,
    private readonly sqs: SqsEmulator,
    private readonly configs: Record<string, AsyncConfig>,
    private readonly retryUnitMs = 1000,
  ) {
    sqs.createQueue(FAILED_EVENTS_QUEUE);
  }

  /** Whether the function exists (Invoke answers 404 otherwise). */
  has(functionRef: string): boolean {
    return Boolean(this.lambdas.binding(functionRef));
  }

  /**
   * Queues one invocation and returns at once (Invoke's 202); the returned promise settles when it ran
   * (after its retries, or once its record is in the destination).
   */
  invoke(functionRef: string, payload: unknown): Promise<void> {
    const binding = this.lambdas.binding(functionRef);
    if (!binding || this.closed) return Promise.resolve();
    const retries = Math.min(2, Math.max(0, this.configs[binding.arn]?.maximumRetryAttempts ?? 2));
    const requestId = randomUUID();
    const run = (async () => {
      let lastError: unknown;
      for (let attempt = 1; attempt <= retries + 1; attempt++) {
        if (attempt > 1 && !(await this.wait((attempt - 1) * this.retryUnitMs))) return;
        try {
          await this.lambdas.invoke(functionRef, payload);
          return;
        } catch (err) {
          lastError = err;
          logger.warn('Asynchronous invocation failed', {
            function: binding.step,
            attempt,
            of: retries + 1,
            error: (err as Error)?.name,
          });
        }
      }
      const cause = parseCause(lastError);
      const record: InvocationRecord = {
        version: '1.0',
        timestamp: new Date().toISOString(),
        requestContext: {
          requestId,
          functionArn: `${binding.arn}:$LATEST`,
          condition: 'RetriesExhausted',
          approximateInvokeCount: retries + 1,
        },
        requestPayload: payload,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: cause,
      };
      this.sqs.sendMessage(FAILED_EVENTS_QUEUE, JSON.stringify(record));
      logger.warn('Asynchronous invocation sent to the on-failure destination', {
        function: binding.step,
        queue: FAILED_EVENTS_QUEUE,
        error: cause.errorType,
      });
    })();
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
    return run;
  }

  /** Waits for invocations in flight (at most `timeoutMs`); pending retries are dropped, as a stopped sandbox would. */
  async settle(timeoutMs: number): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.pending]),
      new Promise((r) => {
        timer = setTimeout(r, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private wait(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve(!this.closed);
      }, ms);
      this.timers.add(t);
    });
  }
}

/** The function error document (errorType, errorMessage, trace) from a LambdaFunctionError's JSON cause. */
function parseCause(err: unknown): InvocationRecord['responsePayload'] {
  try {
    const doc = JSON.parse((err as Error).message) as Partial<InvocationRecord['responsePayload']>;
    if (typeof doc.errorType === 'string') {
      return {
        errorType: doc.errorType,
        errorMessage: String(doc.errorMessage ?? ''),
        trace: doc.trace ?? [],
      };
    }
  } catch {
    // not a JSON cause
  }
  return lambdaErrorDocument(err);
}
