import * as z from './zod';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a human duration such as `90s`, `30m`, `24h` or `7d` into whole seconds.
 * @example parseDuration('30m') // 1800
 */
export function parseDuration(value: string): number {
  const match = /^(\d+)\s*([smhd])$/.exec(value.trim());
  if (!match) {
    throw new Error(`expected a duration like "90s", "30m", "24h" or "7d", received "${value}"`);
  }
  return Number(match[1]) * UNIT_SECONDS[match[2]];
}

/** zod schema for a duration string; the parsed value is the number of seconds. */
export const durationSchema = z
  .string()
  .regex(/^\d+\s*[smhd]$/, 'expected a duration like "90s", "30m", "24h" or "7d"')
  .transform((v) => parseDuration(v));
