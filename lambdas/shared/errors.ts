/**
 * Typed errors for Shipgate. Domain code throws these; the HTTP app maps them to statuses in one place
 * (`app.onError`) and Step Functions sees their `name` as the error type in `Catch` and `Retry` clauses.
 *
 * Error names are a contract (docs/architecture.md, "Error names"): Step Functions matches them, and the
 * release record, chat, the console and GitLab statuses show them. So every class states its name
 * explicitly in `static errorName`, never derived from the class name, which a minifier may rename. A test
 * (test/integ/bundles/error-names.test.ts) checks each class declares its own and that the built bundles
 * produce exactly the names the state machine and the code compare against.
 */

/** Base class of every error Shipgate raises on purpose. */
export class ShipgateError extends Error {
  /**
   * The error's stable name: `error.name`, the `errorType` Lambda reports and the `Error` Step Functions
   * matches. Every subclass declares its own (a subclass that forgot would report its parent's name).
   */
  static readonly errorName: string = 'ShipgateError';

  /**
   * Whether instances capture a stack trace. Errors a caller causes (4xx: a wrong token, a malformed body, a
   * closed approval) set it to `false`: they are expected, answered with their message and never logged as
   * faults, their stack would name the same frames every time, and capturing it was the largest single cost
   * of refusing a request (see bench/README.md).
   */
  static readonly captureStack: boolean = true;

  /** HTTP status used when this error escapes an HTTP route. */
  readonly status: number = 500;

  constructor(message: string, options?: { cause?: unknown }) {
    const stackTraceLimit = Error.stackTraceLimit;
    if (!(new.target as typeof ShipgateError).captureStack) Error.stackTraceLimit = 0;
    super(message, options);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = (new.target as typeof ShipgateError).errorName;
  }
}

/** The configuration file or an environment variable is missing or invalid. */
export class ConfigError extends ShipgateError {
  static override readonly errorName: string = 'ConfigError';
}

/** Input from outside (a webhook, a form, an API call) is malformed. */
export class BadRequestError extends ShipgateError {
  static override readonly errorName: string = 'BadRequestError';
  static override readonly captureStack: boolean = false;
  override readonly status: number = 400;
}

/** Authentication failed (bad token, bad signature, expired link). */
export class UnauthorizedError extends ShipgateError {
  static override readonly errorName: string = 'UnauthorizedError';
  static override readonly captureStack: boolean = false;
  override readonly status: number = 401;
}

/** The caller is authenticated but not allowed to do this. */
export class ForbiddenError extends ShipgateError {
  static override readonly errorName: string = 'ForbiddenError';
  static override readonly captureStack: boolean = false;
  override readonly status: number = 403;
}

/** The thing asked for does not exist. */
export class NotFoundError extends ShipgateError {
  static override readonly errorName: string = 'NotFoundError';
  static override readonly captureStack: boolean = false;
  override readonly status: number = 404;
}

/** The request conflicts with the current state (already decided, name clash with other input). */
export class ConflictError extends ShipgateError {
  static override readonly errorName: string = 'ConflictError';
  static override readonly captureStack: boolean = false;
  override readonly status: number = 409;
}

/** The request body is larger than Shipgate accepts. */
export class PayloadTooLargeError extends ShipgateError {
  static override readonly errorName: string = 'PayloadTooLargeError';
  static override readonly captureStack: boolean = false;
  override readonly status: number = 413;
}

/** The request body is not of a media type Shipgate accepts. */
export class UnsupportedMediaTypeError extends ShipgateError {
  static override readonly errorName: string = 'UnsupportedMediaTypeError';
  static override readonly captureStack: boolean = false;
  override readonly status: number = 415;
}

/** A deploy contract published by Terraform is missing or invalid. */
export class ContractError extends ShipgateError {
  static override readonly errorName: string = 'ContractError';
}

/** The image for a release cannot be found or is ambiguous. */
export class ImageNotFoundError extends ShipgateError {
  static override readonly errorName: string = 'ImageNotFoundError';
}
