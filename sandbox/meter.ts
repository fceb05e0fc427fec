/**
 * What the sandbox served, counted as AWS bills it (`GET /_sandbox/api/meter`; `npm run bench` prices a
 * release from the difference before and after it): Lambda invocations and their durations per function,
 * DynamoDB read and write units as dynalite reports them (`ConsumedCapacity`), HTTP API requests (each is
 * one invocation of the HTTP function) and EventBridge events delivered to Shipgate's rules. Step Functions
 * state transitions are in each execution's history. Process-wide: the sandbox is one per process.
 */
export class UsageMeter {
  private lambdas = new Map<string, { invocations: number; ms: number; billedMs: number }>();
  private dynamo = { readUnits: 0, writeUnits: 0, requests: 0, estimated: 0 };
  private events = new Map<string, number>();

  /** One Lambda invocation of `fn` (its bundle name) that ran `ms`; Lambda bills each started ms. */
  lambda(fn: string, ms: number): void {
    const f = this.lambdas.get(fn) ?? { invocations: 0, ms: 0, billedMs: 0 };
    f.invocations += 1;
    f.ms += ms;
    f.billedMs += Math.max(1, Math.ceil(ms));
    this.lambdas.set(fn, f);
  }

  /** One DynamoDB request and the units it consumed; `estimated` when dynalite reported none. */
  dynamoDb(units: { read: number; write: number }, estimated = false): void {
    this.dynamo.requests += 1;
    this.dynamo.readUnits += units.read;
    this.dynamo.writeUnits += units.write;
    if (estimated) this.dynamo.estimated += 1;
  }

  /** One event an EventBridge rule delivered (`kind`: its source and detail type). */
  event(kind: string): void {
    this.events.set(kind, (this.events.get(kind) ?? 0) + 1);
  }

  /** Everything counted so far (plain JSON). */
  snapshot(): MeterSnapshot {
    return {
      lambdas: Object.fromEntries([...this.lambdas].map(([k, v]) => [k, { ...v }])),
      dynamoDb: { ...this.dynamo },
      events: Object.fromEntries(this.events),
    };
  }
}

/** {@link UsageMeter.snapshot}. */
export interface MeterSnapshot {
  lambdas: Record<string, { invocations: number; ms: number; billedMs: number }>;
  dynamoDb: { readUnits: number; writeUnits: number; requests: number; estimated: number };
  events: Record<string, number>;
}

/** The sandbox's meter. */
export const usageMeter = new UsageMeter();
