import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { ShipgateError } from '../../lambdas/shared/errors';
import { usageMeter } from '../meter';
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

/**
 * A function reference as Lambda's Invoke accepts it (FunctionName, API reference): a name (`my-function`),
 * a name with a qualifier (`my-function:3`, `my-function:live`), a full ARN with or without a qualifier, or
 * a partial ARN (`123456789012:function:my-function[:qualifier]`).
 */
export function parseFunctionRef(ref: string): { name: string; qualifier?: string } {
  const m = /(?:^|:)function:([^:]+)(?::([^:]+))?$/.exec(ref);
  if (m) return { name: m[1], qualifier: m[2] };
  const [name, qualifier, ...rest] = ref.split(':');
  if (rest.length > 0) return { name: ref };
  return { name, qualifier };
}

/** The alias the sandbox keeps on each function's newest version, as each deploy moves it on AWS. */
export const LIVE_ALIAS = 'live';

/** A binding resolved for one invocation: the function's unqualified ARN and the version that runs. */
export type ResolvedBinding = LambdaBinding & { arn: string; version: string };

interface PublishedFunction {
  arn: string;
  /** Version number → code (versions are immutable, as Lambda's are). */
  versions: Map<string, LambdaBinding>;
  /** The newest version ($LATEST and the alias `live` run it). */
  latest: string;
}

/**
 * Runs Lambda handler code in this process the way the Lambda service would: the payload is serialized
 * and parsed (no shared references), the handler gets a Lambda-shaped context, and a thrown error becomes
 * the error type and JSON cause Step Functions reports.
 *
 * Functions have versions, as on AWS: each {@link publish} (a sandbox upgrade) adds an immutable version
 * bound to its own bundle directory, and moves `$LATEST` and the alias `live` to it. An invocation of a
 * qualified ARN (`…:function:shipgate-scan:3`, what the state machine's Task states name) runs that
 * version's code whatever was published since; an unqualified one or `live` runs the newest.
 */
export class LocalLambdas {
  private readonly byName = new Map<string, PublishedFunction>();
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
    this.publish(tasks);
  }

  /** The names of every bound function (`shipgate-<step>`…). */
  functionNames(): string[] {
    return [...this.byName.keys()];
  }

  /**
   * Publishes a version of every function named: a key with a numeric qualifier (`…:shipgate-scan:3`)
   * publishes that version number; an unqualified key publishes the function's next number. The newest
   * version becomes `$LATEST` and `live`. Published versions are never changed (Lambda refuses too), so
   * republishing a version with other code is an error.
   * @returns the version published for each function name.
   */
  publish(functions: Record<string, LambdaBinding>): Record<string, string> {
    const published: Record<string, string> = {};
    for (const [ref, binding] of Object.entries(functions)) {
      const { name, qualifier } = parseFunctionRef(ref);
      if (qualifier !== undefined && !/^[1-9][0-9]*$/.test(qualifier)) {
        throw new Error(`Cannot publish ${ref}: a version is a positive number, received "${qualifier}"`);
      }
      let fn = this.byName.get(name);
      if (!fn) {
        fn = { arn: unqualifiedArn(ref, name), versions: new Map(), latest: '0' };
        this.byName.set(name, fn);
      }
      const version = qualifier ?? String(Number(fn.latest) + 1);
      const existing = fn.versions.get(version);
      if (existing && (existing.entry !== binding.entry || existing.step !== binding.step)) {
        throw new Error(`Version ${version} of ${name} is published already with other code`);
      }
      fn.versions.set(version, { step: binding.step, entry: binding.entry });
      if (Number(version) > Number(fn.latest)) fn.latest = version;
      published[name] = version;
    }
    return published;
  }

  /** Every version of a function (by name or ARN), oldest first; empty when unknown. */
  versions(functionRef: string): string[] {
    const fn = this.byName.get(parseFunctionRef(functionRef).name);
    return fn ? [...fn.versions.keys()].sort((a, b) => Number(a) - Number(b)) : [];
  }

  /**
   * The binding an invocation of `functionRef` runs: the version it names, the version an alias points at,
   * or the newest for an unqualified reference or `$LATEST`; undefined for an unknown function or version.
   */
  binding(functionRef: string): ResolvedBinding | undefined {
    const { name, qualifier } = parseFunctionRef(functionRef);
    const fn = this.byName.get(name);
    if (!fn) return undefined;
    const version =
      qualifier === undefined || qualifier === '$LATEST' || qualifier === LIVE_ALIAS ? fn.latest : qualifier;
    const binding = fn.versions.get(version);
    return binding ? { ...binding, arn: fn.arn, version } : undefined;
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
        `Function not found: ${functionRef} (the sandbox serves ${[...this.byName.entries()].map(([name, fn]) => `${name} (versions ${[...fn.versions.keys()].join(', ')})`).join(', ')})`,
      );
    }
    const requestId = randomUUID();
    const deadline = Date.now() + this.timeoutMs;
    const { name, qualifier } = parseFunctionRef(functionRef);
    const context = {
      functionName: name,
      functionVersion: binding.version,
      invokedFunctionArn: qualifier ? `${binding.arn}:${qualifier}` : binding.arn,
      memoryLimitInMB: '512',
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: `sandbox/${requestId}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    const started = performance.now();
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
    } finally {
      // Billed duration, as Lambda counts it (sandbox/meter.ts).
      usageMeter.lambda(binding.step, performance.now() - started);
    }
  }
}

/** The unqualified ARN of a function published under `ref` (an ARN, or a bare name in the sandbox's account). */
function unqualifiedArn(ref: string, name: string): string {
  const m = /^(arn:[^:]+:lambda:[^:]+:[^:]+:function:[^:]+)/.exec(ref);
  return m ? m[1] : `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
}
