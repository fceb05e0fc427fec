import { randomBytes, randomUUID } from 'node:crypto';
import { ShipgateError } from '../../lambdas/shared/errors';

/** Account id of every emulated resource (the AWS documentation's placeholder account). */
export const SANDBOX_ACCOUNT = '000000000000';

/** Region of every emulated resource unless the caller signs for another one. */
export const SANDBOX_REGION = 'us-east-1';

/**
 * An AWS service error as the JSON protocols return it: `{ __type, message }` with an HTTP status, so SDK
 * clients and the AWS CLI raise the same named exception they would against AWS.
 */
export class AwsServiceError extends ShipgateError {
  static override readonly errorName: string = 'AwsServiceError';
  override readonly status: number;

  constructor(
    /** Exception name, e.g. `ExecutionDoesNotExist`. */
    readonly type: string,
    message: string,
    status = 400,
  ) {
    super(message);
    this.status = status;
  }
}

/** Request facts an operation may use. */
export interface AwsCallContext {
  region: string;
  accountId: string;
}

/** One API operation: JSON input in, JSON output out (or an `AwsServiceError`). */
export type AwsOperation = (input: Record<string, unknown>, ctx: AwsCallContext) => unknown;

/** A JSON-protocol service: the `X-Amz-Target` prefix it answers and its operations. */
export interface AwsServiceEmulator {
  /** e.g. `AWSStepFunctions`, `AmazonEC2ContainerServiceV20141113`. */
  readonly targetPrefix: string;
  /** `application/x-amz-json-1.0` or `-1.1`. */
  readonly contentType: string;
  readonly operations: Record<string, AwsOperation>;
}

/** Seconds since the epoch, as the JSON protocols serialize timestamps. */
export function epochSeconds(date: Date | number = Date.now()): number {
  const ms = typeof date === 'number' ? date : date.getTime();
  return Math.round(ms) / 1000;
}

/** A random id in the style AWS uses for request ids. */
export function requestId(): string {
  return randomUUID();
}

/** A random lower-case hex string of `bytes` bytes. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * Reads a required string member of an API input.
 * @throws AwsServiceError (`ValidationException` unless told otherwise) naming the member.
 */
export function requireString(
  input: Record<string, unknown>,
  member: string,
  errorType = 'ValidationException',
): string {
  const value = input[member];
  if (typeof value !== 'string' || value === '') {
    throw new AwsServiceError(
      errorType,
      `1 validation error detected: Value ${value === undefined ? 'null' : JSON.stringify(value)} at '${member}' failed to satisfy constraint: Member must not be null and must be a non-empty string`,
    );
  }
  return value;
}

/** Paginates `items` with an opaque numeric `nextToken`. */
export function paginate<T>(
  items: T[],
  maxResults: unknown,
  nextToken: unknown,
  defaultMax = 100,
): { page: T[]; nextToken?: string } {
  const start = typeof nextToken === 'string' && /^\d+$/.test(nextToken) ? Number(nextToken) : 0;
  const max = typeof maxResults === 'number' && maxResults > 0 ? maxResults : defaultMax;
  const page = items.slice(start, start + max);
  return start + max < items.length ? { page, nextToken: String(start + max) } : { page };
}
