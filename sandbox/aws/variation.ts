import { randomInt } from 'node:crypto';
import { paginate } from './protocol';

/**
 * The variation the emulators add where AWS makes no promise (CONVENTIONS.md, "Keep no promise that AWS does
 * not make"): list operations whose API reference documents no order return their items in a varying order,
 * and texts the API leaves undocumented (reasons, status reasons) are worded differently from one run to the
 * next, never naming an ARN code could parse. All of it is drawn from one pseudo-random stream seeded by
 * `SHIPGATE_SANDBOX_SEED` (a random seed when unset), so a failure can be replayed with the same seed; what
 * depends on timing (which call comes first) still varies.
 */

/** The seed in use: `SHIPGATE_SANDBOX_SEED` (an integer), else one drawn at first use (and put there). */
export function sandboxSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.SHIPGATE_SANDBOX_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new Error(
        `SHIPGATE_SANDBOX_SEED must be a non-negative integer (it seeds the sandbox's variation); received ${JSON.stringify(given)}.`,
      );
    }
    return seed;
  }
  const drawn = randomInt(0, 2 ** 31);
  env.SHIPGATE_SANDBOX_SEED = String(drawn);
  return drawn;
}

/**
 * mulberry32: a small, fast, seedable 32-bit generator; plenty for shuffles, phrasings and history plans, and
 * the same seed always yields the same numbers.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let stream: { seed: number; next: () => number } | undefined;

/** The next number in [0, 1) of the seeded stream. */
export function variate(): number {
  const seed = sandboxSeed();
  if (!stream || stream.seed !== seed) stream = { seed, next: seededRandom(seed) };
  return stream.next();
}

/** One of `options`, drawn from the seeded stream. */
export function pick<T>(options: readonly T[]): T {
  return options[Math.floor(variate() * options.length)];
}

/** A copy of `items` in a seeded order (Fisher–Yates). */
export function shuffled<T>(items: readonly T[], random: () => number = variate): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Paginates a list whose order the API does not document: each first call draws an order, and its
 * `nextToken` (`<order>.<offset>`) carries that order to the following pages, so paging stays consistent
 * while two listings of the same items may come back in different orders. `items` must be given in a stable
 * order (sort them first) for an order to mean the same permutation on every page.
 */
export function paginateUnordered<T>(
  items: T[],
  maxResults: unknown,
  nextToken: unknown,
  defaultMax = 100,
): { page: T[]; nextToken?: string } {
  const token = typeof nextToken === 'string' ? /^(\d+)\.(\d+)$/.exec(nextToken) : null;
  const order = token ? Number(token[1]) : Math.floor(variate() * 2 ** 31);
  const ordered = shuffled(items, seededRandom(order));
  const { page, nextToken: next } = paginate(ordered, maxResults, token ? token[2] : undefined, defaultMax);
  return next === undefined ? { page } : { page, nextToken: `${order}.${next}` };
}
