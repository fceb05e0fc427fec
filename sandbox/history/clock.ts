import { install, type Clock } from '@sinonjs/fake-timers';
import { ShipgateError } from '../../lambdas/shared/errors';

/** The simulated clock cannot do what was asked (installed twice, moved backwards past the real time…). */
export class ClockError extends ShipgateError {
  static override readonly errorName: string = 'ClockError';
}

/** How often the simulated clock catches up with real time (ms of real time). */
const STEP_MS = 5;

/**
 * A controllable clock for the whole sandbox process, used by `--history`: it fakes only `Date`
 * (@sinonjs/fake-timers with `toFake: ['Date']`), so every time stamp the process writes — Step Functions
 * history, the Lambda bundles (run in this process, `workflow/lambda.ts`), DynamoDB items, ECS/ECR records,
 * GitLab payload times, approval links — reads the same simulated time, while timers (`setTimeout`, the
 * emulators' rollout phases, task-token timeouts) stay real so the sandbox runs at machine speed.
 *
 * Simulated time moves two ways:
 * - it flows `warp` times faster than real time (one real millisecond = `warp` simulated ms), so a rollout
 *   whose phases last `SHIPGATE_SANDBOX_PHASE_MS` real ms lasts `warp × phaseMs` simulated ms;
 * - `jumpTo` / `jumpBy` move it forward between events (the next release of the day, an approver who
 *   answers 40 minutes later). It never moves backwards and never past `limit` (the real time at start, so
 *   no record is dated in the future).
 */
export class SimulatedClock {
  private clock?: Clock;
  private ticker?: NodeJS.Timeout;
  private lastReal = 0;

  /**
   * @param start simulated epoch ms to begin at
   * @param warp simulated ms per real ms while things run
   * @param limit latest simulated time (epoch ms); the clock stops there
   */
  constructor(
    private readonly start: number,
    readonly warp: number,
    readonly limit: number,
  ) {
    if (!(warp >= 1)) throw new ClockError(`The clock's warp must be at least 1, received ${warp}.`);
    if (start > limit)
      throw new ClockError(`The simulated start ${new Date(start).toISOString()} is after its limit.`);
  }

  /** Replaces the global `Date` with the simulated one and starts it flowing. */
  install(): void {
    if (this.clock) throw new ClockError('The simulated clock is already installed.');
    this.clock = install({ now: this.start, toFake: ['Date'] });
    this.lastReal = performance.now();
    // setInterval is not faked (only Date is), so this runs on real time.
    this.ticker = setInterval(() => this.flow(), STEP_MS);
    this.ticker.unref();
  }

  /** Advances simulated time by the real time elapsed since the last call, times `warp`. */
  private flow(): void {
    if (!this.clock) return;
    const real = performance.now();
    const next = Math.min(this.limit, this.clock.now + (real - this.lastReal) * this.warp);
    this.lastReal = real;
    if (next > this.clock.now) this.clock.setSystemTime(Math.floor(next));
  }

  /** The simulated time now (epoch ms). */
  now(): number {
    if (!this.clock) throw new ClockError('The simulated clock is not installed.');
    this.flow();
    return this.clock.now;
  }

  /** Moves simulated time forward to `at` (epoch ms); a time already past is left as it is. */
  jumpTo(at: number): void {
    const now = this.now();
    const target = Math.min(this.limit, Math.floor(at));
    if (target > now) this.clock!.setSystemTime(target);
  }

  /** Moves simulated time forward by `ms`. */
  jumpBy(ms: number): void {
    this.jumpTo(this.now() + ms);
  }

  /** Gives the process its real `Date` back. */
  uninstall(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.clock?.uninstall();
    this.clock = undefined;
  }
}
