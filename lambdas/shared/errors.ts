/**
 * Typed errors for Shipgate. Domain code throws these; the HTTP app maps them to statuses in one place
 * (`app.onError`) and Step Functions sees their `name` as the error type in `Catch` clauses.
 */

/** Base class of every error Shipgate raises on purpose. */
export class ShipgateError extends Error {
  /** HTTP status used when this error escapes an HTTP route. */
  readonly status: number = 500;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The configuration file or an environment variable is missing or invalid. */
export class ConfigError extends ShipgateError {}

/** Input from outside (a webhook, a form, an API call) is malformed. */
export class BadRequestError extends ShipgateError {
  override readonly status: number = 400;
}

/** Authentication failed (bad token, bad signature, expired link). */
export class UnauthorizedError extends ShipgateError {
  override readonly status: number = 401;
}

/** The caller is authenticated but not allowed to do this. */
export class ForbiddenError extends ShipgateError {
  override readonly status: number = 403;
}

/** The thing asked for does not exist. */
export class NotFoundError extends ShipgateError {
  override readonly status: number = 404;
}

/** The request conflicts with the current state (already decided, name clash with other input). */
export class ConflictError extends ShipgateError {
  override readonly status: number = 409;
}

/** The request body is larger than Shipgate accepts. */
export class PayloadTooLargeError extends ShipgateError {
  override readonly status: number = 413;
}

/** The request body is not of a media type Shipgate accepts. */
export class UnsupportedMediaTypeError extends ShipgateError {
  override readonly status: number = 415;
}

/** A deploy contract published by Terraform is missing or invalid. */
export class ContractError extends ShipgateError {}

/** The image for a release cannot be found or is ambiguous. */
export class ImageNotFoundError extends ShipgateError {}
