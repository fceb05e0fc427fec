import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { ShipgateError } from '../../lambdas/shared/errors';
import type { FaultSwitch } from './faults';

/** Which handler code runs for a Lambda function ARN (from `renderLocalDefinition(config).tasks`). */
export interface LambdaBinding {
  /** Step name, e.g. `scan`. */
  step: string;
  /**
   * File exporting `handler` (absolute, or relative to the repository root). The sandbox binds the built
   * bundles (`buildLambdaBundles`, the files AWS runs); tests of the executor may bind small stand-ins.
   */
  entry: string;
}

/**
 * The error a Step Functions task sees when a Lambda function fails: `name` is the function's error type
 * (what `Catch`/`Retry` match) and `message` is the Cause string AWS writes:
 * `{"errorType":…,"errorMessage":…,"trace":[…]}`.
 */
export class LambdaFunctionError extends ShipgateError {
  static override readonly errorName: string = 'LambdaFunctionError';
  constructor(errorType: string, cause: string) {
    super(cause);
    this.name = errorType;
  }
}

type Handler = (event: unknown, context: unknown) => unknown;

/** The error document the Node.js Lambda runtime reports for a function error. */
export interface LambdaErrorDocument {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/**
 * Serializes a thrown value the way the Node.js Lambda runtime does ("AWS Lambda function errors in
 * Node.js", https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html): an Error becomes
 * `{"errorType": error.name, "errorMessage": error.message, "trace": error.stack split into lines}`; any
 * other value becomes `{"errorType": typeof value, "errorMessage": String(value), "trace": []}`. Step
 * Functions then reports `errorType` as the state's Error (what `Catch`/`Retry` match) and the whole
 * document, as JSON, as its Cause.
 */
export function lambdaErrorDocument(err: unknown): LambdaErrorDocument {
  if (err instanceof Error) {
    return {
      errorType: String(err.name),
      errorMessage: String(err.message),
      trace: typeof err.stack === 'string' ? err.stack.split('\n') : [],
    };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}

/** Normalizes a function ARN or name to its bare name (no qualifier). */
function functionName(ref: string): string {
  const m = /:function:([^:]+)/.exec(ref);
  return m ? m[1] : ref.split(':')[0];
}

/**
 * Runs Lambda handler code in this process the way the Lambda service would: the payload is serialized
 * and parsed (no shared references), the handler gets a Lambda-shaped context, and a thrown error becomes
 * the error type and JSON cause Step Functions reports.
 */
export class LocalLambdas {
  private readonly byName = new Map<string, LambdaBinding & { arn: string }>();
  private readonly loaded = new Map<string, Handler>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The sandbox's test-only fault switch, when set. */
  faults?: FaultSwitch;
  /**
   * Told of every invocation once it ended, with its start (epoch ms) and the error type when it failed: the
   * sandbox's CloudWatch counts AWS/Lambda Invocations and Errors from it, as Lambda reports them.
   */
  onInvoked?: (functionName: string, outcome: { startedAt: number; errorType?: string }) => void;

  constructor(
    tasks: Record<string, LambdaBinding>,
    private readonly rootDir: string,
    private readonly timeoutMs = 15 * 60 * 1000,
  ) {
    for (const [arn, binding] of Object.entries(tasks)) {
      this.byName.set(functionName(arn), { ...binding, arn });
    }
  }

  /** The names of every bound function (`shipgate-<step>`…). */
  functionNames(): string[] {
    return [...this.byName.keys()];
  }

  /** The binding of a function ARN or name, if the state machine declares it. */
  binding(functionRef: string): (LambdaBinding & { arn: string }) | undefined {
    return this.byName.get(functionName(functionRef));
  }

  private load(binding: LambdaBinding): Handler {
    const file = resolve(this.rootDir, binding.entry);
    let handler = this.loaded.get(file);
    if (!handler) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(file) as { handler?: Handler };
      if (typeof mod.handler !== 'function') {
        throw new LambdaFunctionError(
          'Runtime.HandlerNotFound',
          JSON.stringify({
            errorType: 'Runtime.HandlerNotFound',
            errorMessage: `${binding.entry} does not export a function named "handler" (step ${binding.step}).`,
          }),
        );
      }
      handler = mod.handler;
      this.loaded.set(file, handler);
    }
    return handler;
  }

  /**
   * Waits (at most `timeoutMs`) for the invocations still running, e.g. a task whose execution was just
   * aborted, so a shutdown does not pull DynamoDB out from under a handler mid-write.
   * @returns how many were still running when the wait gave up.
   */
  async drain(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((r) => {
        timer = setTimeout(r, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return this.inFlight.size;
  }

  /**
   * Invokes the function synchronously and returns its JSON result.
   * @throws LambdaFunctionError when the function is unknown or its handler throws.
   */
  invoke(functionRef: string, payload: unknown): Promise<unknown> {
    const running = this.invokeNow(functionRef, payload);
    this.inFlight.add(running);
    void running.then(
      () => this.inFlight.delete(running),
      () => this.inFlight.delete(running),
    );
    return running;
  }

  private async invokeNow(functionRef: string, payload: unknown): Promise<unknown> {
    const binding = this.binding(functionRef);
    if (!binding) {
      throw new LambdaFunctionError(
        'Lambda.ResourceNotFoundException',
        `Function not found: ${functionRef} (the sandbox binds only the functions of the release state machine: ${[...this.byName.values()].map((b) => b.step).join(', ')})`,
      );
    }
    const requestId = randomUUID();
    const deadline = Date.now() + this.timeoutMs;
    const context = {
      functionName: functionName(binding.arn),
      functionVersion: '$LATEST',
      invokedFunctionArn: binding.arn,
      memoryLimitInMB: '512',
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${functionName(binding.arn)}`,
      logStreamName: `sandbox/${requestId}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    const startedAt = Date.now();
    try {
      const handler = this.load(binding);
      const event = JSON.parse(JSON.stringify(payload ?? {})) as unknown;
      this.faults?.check(binding.step, event);
      const result = await handler(event, context);
      this.onInvoked?.(context.functionName, { startedAt });
      return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
    } catch (err) {
      this.onInvoked?.(context.functionName, { startedAt, errorType: (err as Error)?.name ?? typeof err });
      if (err instanceof LambdaFunctionError) throw err;
      const document = lambdaErrorDocument(err);
      throw new LambdaFunctionError(document.errorType, JSON.stringify(document));
    }
  }
}
