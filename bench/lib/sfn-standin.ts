import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny Step Functions stand-in on loopback: enough of the JSON 1.0 protocol for the webhook's calls
 * (`StartExecution`, `DescribeExecution`), with Step Functions' idempotency (same name + same input answers the
 * same execution; same name + other input is `ExecutionAlreadyExists`) and optional failure injection for the
 * first N StartExecution calls (throttling or 5xx), so the real SDK and the real retries run against it.
 */

/** A failure answered instead of StartExecution. */
export interface InjectedFailure {
  /** HTTP status, e.g. 400 (throttling is a 400 in the JSON protocol) or 500/503. */
  status: number;
  /** `__type` of the error body, e.g. `ThrottlingException`, `ServiceUnavailable`, `InternalFailure`. */
  type: string;
  /** Start the execution first, then answer the failure (the response was lost after the work was done). */
  afterStart?: boolean;
}

/** Options of {@link startSfnStandIn}. */
export interface SfnStandInOptions {
  /** Answer these failures, in order, to the first StartExecution calls (then succeed). */
  failFirst?: InjectedFailure[];
  /** Region and account in the returned ARNs (must match the configured state machine ARN). */
  region?: string;
  account?: string;
}

/** A running stand-in. */
export interface SfnStandIn {
  url: string;
  /** Every StartExecution call that reached the server (including the failed ones), with its time. */
  startCalls: { name: string; at: number; answered: 'started' | 'existing' | 'conflict' | 'failed' }[];
  /** Executions created (one per distinct name). */
  executions: Map<string, { input: string; startDate: number; stateMachineArn: string }>;
  /** Queues failures for the next StartExecution calls. */
  failNext(...failures: InjectedFailure[]): void;
  /** Drops the failures still queued (the service is healthy again). */
  clearFailures(): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the stand-in on 127.0.0.1 (ephemeral port). */
export async function startSfnStandIn(options: SfnStandInOptions = {}): Promise<SfnStandIn> {
  const failures = [...(options.failFirst ?? [])];
  const startCalls: SfnStandIn['startCalls'] = [];
  const executions: SfnStandIn['executions'] = new Map();
  const executionArn = (stateMachineArn: string, name: string) =>
    `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      let input: Record<string, string>;
      try {
        input = JSON.parse(text || '{}') as Record<string, string>;
      } catch {
        return send(400, { __type: 'SerializationException', message: 'body is not JSON' });
      }
      if (target === 'AWSStepFunctions.StartExecution') {
        const name = input.name;
        const call = {
          name,
          at: Date.now(),
          answered: 'failed' as SfnStandIn['startCalls'][number]['answered'],
        };
        startCalls.push(call);
        const failure = failures.shift();
        if (failure && !failure.afterStart) {
          return send(failure.status, { __type: failure.type, message: `injected ${failure.type}` });
        }
        const existing = executions.get(name);
        if (existing && existing.input !== input.input) {
          call.answered = 'conflict';
          return send(400, {
            __type: 'ExecutionAlreadyExists',
            message: `Execution Already Exists: '${executionArn(input.stateMachineArn, name)}'`,
          });
        }
        if (!existing) {
          executions.set(name, {
            input: input.input,
            startDate: Date.now() / 1000,
            stateMachineArn: input.stateMachineArn,
          });
        }
        if (failure) {
          return send(failure.status, {
            __type: failure.type,
            message: `injected ${failure.type} after starting`,
          });
        }
        call.answered = existing ? 'existing' : 'started';
        const e = executions.get(name)!;
        return send(200, { executionArn: executionArn(e.stateMachineArn, name), startDate: e.startDate });
      }
      if (target === 'AWSStepFunctions.DescribeExecution') {
        const name = input.executionArn.split(':').pop()!;
        const e = executions.get(name);
        if (!e) return send(400, { __type: 'ExecutionDoesNotExist', message: 'no such execution' });
        return send(200, {
          executionArn: input.executionArn,
          stateMachineArn: e.stateMachineArn,
          name,
          status: 'RUNNING',
          input: e.input,
          startDate: e.startDate,
        });
      }
      return send(400, { __type: 'UnknownOperationException', message: `stand-in does not do ${target}` });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    startCalls,
    executions,
    failNext: (...more) => failures.push(...more),
    clearFailures: () => failures.splice(0),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
