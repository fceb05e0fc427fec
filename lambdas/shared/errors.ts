/**
 * Typed errors for Shipgate. Domain code throws these; the HTTP app maps them to statuses in one place
 * (`app.onError`) and Step Functions sees their `name` as the error type in `Catch` clauses.
 */

/** Base class of every error Shipgate raises on purpose. */
export class ShipgateError extends Error {
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
    this.name = new.target.name;
  }
}

/** The configuration file or an environment variable is missing or invalid. */
export class ConfigError extends ShipgateError {}

/** Input from outside (a webhook, a form, an API call) is malformed. */
export class BadRequestError extends ShipgateError {
  static override readonly captureStack: boolean = false;
  override readonly status: number = 400;
}

/** Authentication failed (bad token, bad signature, expired link). */
export class UnauthorizedError extends ShipgateError {
  static override readonly captureStack: boolean = false;
  override readonly status: number = 401;
}

/** The caller is authenticated but not allowed to do this. */
export class ForbiddenError extends ShipgateError {
  static override readonly captureStack: boolean = false;
  override readonly status: number = 403;
}

/** The thing asked for does not exist. */
export class NotFoundError extends ShipgateError {
  static override readonly captureStack: boolean = false;
  override readonly status: number = 404;
}

/** The request conflicts with the current state (already decided, name clash with other input). */
export class ConflictError extends ShipgateError {
  static override readonly captureStack: boolean = false;
  override readonly status: number = 409;
}

/** The request body is larger than Shipgate accepts. */
export class PayloadTooLargeError extends ShipgateError {
  static override readonly captureStack: boolean = false;
  override readonly status: number = 413;
}

/** The request body is not of a media type Shipgate accepts. */
export class UnsupportedMediaTypeError extends ShipgateError {
  static override readonly captureStack: boolean = false;
  override readonly status: number = 415;
}

/** A deploy contract published by Terraform is missing or invalid. */
export class ContractError extends ShipgateError {}

/** The image for a release cannot be found or is ambiguous. */
export class ImageNotFoundError extends ShipgateError {}
