import * as z from './zod';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * The longest duration Shipgate accepts anywhere: one year (365 days). A Standard workflow runs at most
 * one year ("Step Functions service quotas": maximum execution time), so no wait inside a release can be
 * longer, and every deadline stays a valid date in approval links (`exp=` epoch seconds) and ISO 8601.
 */
export const MAX_DURATION_SECONDS = 365 * 86400;

/**
 * Parses a human duration such as `90s`, `30m`, `24h` or `7d` into whole seconds (at most one year).
 * @throws Error naming the value when it is malformed or longer than 365d.
 * @example parseDuration('30m') // 1800
 */
export function parseDuration(value: string): number {
  const match = /^(\d+)\s*([smhd])$/.exec(value.trim());
  if (!match) {
    throw new Error(`expected a duration like "90s", "30m", "24h" or "7d", received "${value}"`);
  }
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]];
  if (!Number.isSafeInteger(seconds) || seconds > MAX_DURATION_SECONDS) {
    throw new Error(
      `expected a duration of at most 365d (a Standard workflow runs at most one year), received "${value}"`,
    );
  }
  return seconds;
}

/** zod schema for a duration string; the parsed value is the number of seconds (at most 365 days). */
export const durationSchema = z.pipe(
  z.string().check(z.regex(/^\d+\s*[smhd]$/, 'expected a duration like "90s", "30m", "24h" or "7d"')),
  z.transform((v, ctx) => {
    try {
      return parseDuration(v);
    } catch (err) {
      // zod/mini's transform context has no addIssue(): push the issue zod classic's addIssue() would.
      ctx.issues.push({ code: 'custom', message: (err as Error).message, input: v });
      return z.NEVER;
    }
  }),
);
