import { errorFields, type Logger } from './logger';

/** Settings of {@link keepConnected}. */
export interface KeepConnectedOptions {
  /** What is connected, as the log lines name it (e.g. `amqp`: "amqp connection lost, reconnecting"). */
  what: string;
  /**
   * Opens the connection and holds it: resolves once it has closed again (with the error that closed it,
   * if any); rejects when it could not be opened (a failed attempt).
   */
  connect(): Promise<Error | undefined>;
  /** Called after each connection or attempt ends, before the wait: drop per-connection state here. */
  onDisconnected(): void;
  /** True once the owner is stopping: the loop then ends instead of reconnecting. */
  isStopping(): boolean;
  /** Backoff bounds: the n-th consecutive failure waits min(maxMs, minMs·2ⁿ), ±20 % jitter. */
  minMs: number;
  maxMs: number;
  log: Logger;
}

/** A running {@link keepConnected} loop. */
export interface ConnectionLoop {
  /** Settles when the loop has ended (after the owner started stopping and the connection closed). */
  readonly done: Promise<void>;
  /** Cuts a backoff wait short, so a stopping owner does not wait for the next attempt. */
  wake(): void;
}

/**
 * Keeps one connection up for as long as its owner runs: connects, waits for the connection to close, and
 * reconnects with exponential backoff and jitter (reset after each successful connect). Logs each loss
 * (`<what> connection lost, reconnecting`), failed attempt (`<what> connect failed`, with `attempt`) and
 * wait (`<what> reconnect scheduled`, with `attempt` and `delayMs`).
 *
 * @example this.loop = keepConnected({ what: 'amqp', connect: () => this.connect(), ... });
 */
export function keepConnected(opts: KeepConnectedOptions): ConnectionLoop {
  const { what, log } = opts;
  let wake: (() => void) | undefined;
  const run = async () => {
    let attempt = 0;
    while (!opts.isStopping()) {
      try {
        const err = await opts.connect();
        attempt = 0;
        if (opts.isStopping()) break;
        log.warn(`${what} connection lost, reconnecting`, err ? errorFields(err) : {});
      } catch (err) {
        if (opts.isStopping()) break;
        log.warn(`${what} connect failed`, { ...errorFields(err), attempt });
      } finally {
        opts.onDisconnected();
      }
      const base = Math.min(opts.maxMs, opts.minMs * 2 ** attempt);
      const delay = Math.round(base * (0.8 + Math.random() * 0.4));
      attempt += 1;
      log.info(`${what} reconnect scheduled`, { attempt, delayMs: delay });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  return { done: run(), wake: () => wake?.() };
}
