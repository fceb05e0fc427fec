import { CronExpressionParser } from 'cron-parser';
import { ConfigError, ShipgateError } from '../../shared/errors';

/**
 * Deploy freeze windows: a cron expression where the freeze starts, one where it ends, and the IANA time zone
 * both are read in — the model of GitLab's Freeze Periods (`freeze_start`, `freeze_end`, `cron_timezone`),
 * which Shipgate's config windows share. A window is active when the most recent start is later than the most
 * recent end; it lasts until the next end. Cron evaluation (DST included) is cron-parser's.
 */

/** One freeze window. */
export interface FreezeWindow {
  /** Label shown to people (`Weekend freeze`, `GitLab freeze period 3`). */
  name: string;
  /** 5-field cron expression when the freeze starts. */
  start: string;
  /** 5-field cron expression when the freeze ends. */
  end: string;
  /** IANA time zone, e.g. `Europe/Paris`. */
  timezone: string;
  source: 'config' | 'gitlab';
}

/** Result of the "Check freeze" state. */
export interface FreezeState {
  frozen: boolean;
  /** When the freeze ends (ISO 8601, UTC): the state machine's `Wait` waits until then. */
  until?: string;
  /** What freezes the environment, for people. */
  reason?: string;
}

/** The environment is frozen and its policy is `onFreeze: fail`. Step Functions sees the name `DeployFrozen`. */
export class DeployFrozen extends ShipgateError {
  static override readonly errorName: string = 'DeployFrozen';
}

/** True for a time zone name the runtime knows (IANA). */
export function isValidTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function cron(expression: string, timezone: string, at: Date) {
  return CronExpressionParser.parse(expression, { currentDate: at, tz: timezone });
}

/**
 * Checks that a window's cron expressions and time zone are valid.
 * @throws ConfigError naming the window, the bad value and what is expected.
 */
export function validateWindow(window: FreezeWindow): void {
  if (!isValidTimeZone(window.timezone)) {
    throw new ConfigError(
      `Freeze window "${window.name}": unknown time zone "${window.timezone}"; expected an IANA name such as "Europe/Paris" or "UTC"`,
    );
  }
  for (const [field, expression] of [
    ['start', window.start],
    ['end', window.end],
  ] as const) {
    const fields = expression.trim().split(/\s+/).length;
    try {
      if (fields !== 5) throw new Error(`expected 5 fields (minute hour day month weekday), got ${fields}`);
      cron(expression, window.timezone, new Date(0)).next();
    } catch (err) {
      throw new ConfigError(
        `Freeze window "${window.name}": invalid ${field} cron "${expression}": ${(err as Error).message}`,
      );
    }
  }
}

/**
 * When the window is active at `now`, the time it ends; otherwise `undefined`. The start instant is inside
 * the window, the end instant is not.
 * @example activeUntil({ start: '0 18 * * 5', end: '0 8 * * 1', timezone: 'Europe/Paris', … }, now)
 */
export function activeUntil(window: FreezeWindow, now: Date): Date | undefined {
  // prev() is strictly before its reference time: look from 1 ms later so that "now == start" counts.
  const probe = new Date(now.getTime() + 1);
  const lastStart = cron(window.start, window.timezone, probe).prev().getTime();
  const lastEnd = cron(window.end, window.timezone, probe).prev().getTime();
  if (lastStart <= lastEnd) return undefined;
  return new Date(cron(window.end, window.timezone, now).next().getTime());
}

/** Longest chain of back-to-back windows followed when computing when a freeze really ends. */
const MAX_CHAIN = 20;

/**
 * Whether `now` is inside any window, and when the freeze ends. Overlapping or back-to-back windows are
 * followed, so `until` is the first moment no window is active.
 */
export function freezeState(windows: readonly FreezeWindow[], now: Date): FreezeState {
  let at = now;
  const names: string[] = [];
  for (let i = 0; i < MAX_CHAIN; i += 1) {
    const active = windows
      .map((w) => ({ w, until: activeUntil(w, at) }))
      .filter((x): x is { w: FreezeWindow; until: Date } => x.until !== undefined);
    if (active.length === 0) break;
    for (const { w } of active) if (!names.includes(describeWindow(w))) names.push(describeWindow(w));
    at = new Date(Math.max(...active.map((x) => x.until.getTime())));
  }
  if (names.length === 0) return { frozen: false };
  const until = at.toISOString();
  return { frozen: true, until, reason: `Deploy freeze until ${until}: ${names.join('; ')}` };
}

function describeWindow(w: FreezeWindow): string {
  return `${w.name} (${w.source === 'gitlab' ? 'GitLab freeze period' : 'config'}: "${w.start}" to "${w.end}" ${w.timezone})`;
}
