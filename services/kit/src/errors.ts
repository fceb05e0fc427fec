/** Base class of this service's typed errors; `cause` keeps the underlying error. */
export class ServiceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The environment does not hold a valid configuration; the message names each bad variable. */
export class ConfigError extends ServiceError {}
