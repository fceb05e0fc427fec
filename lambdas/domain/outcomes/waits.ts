import type { ReleasePauseEvent } from '../releases/store';

/**
 * How long a release waited for people versus for ECS (issue 31 metrics), from what the workflow carries:
 *
 * - people: each approval, from its request (`requestedAt`) to its decision (`decidedAt`), in the task
 *   output `$.approvals.<env>`; and each rollout pause (ECS PAUSE hook), from PAUSED to the next event of
 *   the same pause in the release record's `pauses` (pauses of services rolling out side by side count once);
 * - ECS: per environment, the rollouts' wall time (first `startedAt` to last `finishedAt` of the "Deploy
 *   <env>" results; services roll out in parallel), less the time that environment spent held at pauses.
 *
 * Pure: what is missing (an approval from before `requestedAt` existed, a rollout without times) counts 0.
 */
export interface ReleaseWaits {
  /** Seconds waiting for people: approvals and pauses. */
  people: number;
  /** Seconds waiting for ECS: rollouts, pauses left out. */
  ecs: number;
}

/** What {@link releaseWaits} reads. */
export interface WaitsSource {
  approvals?: Record<string, unknown>;
  deployments?: Record<string, unknown>;
  pauses?: readonly ReleasePauseEvent[];
}

const ms = (v: unknown): number | undefined => {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
};

/** `{ startedAt, finishedAt }` of one "Deploy <env>" item result (the outcome, or `{ rollout: outcome }`). */
function rolloutTimes(item: unknown): { start: number; end: number } | undefined {
  const o = item as { startedAt?: unknown; finishedAt?: unknown; rollout?: unknown } | null;
  if (!o || typeof o !== 'object') return undefined;
  const start = ms(o.startedAt);
  const end = ms(o.finishedAt);
  if (start !== undefined && end !== undefined && end >= start) return { start, end };
  return o.rollout ? rolloutTimes(o.rollout) : undefined;
}

/**
 * Milliseconds each environment spent held at pauses (PAUSED until the next event of that pause). Services
 * roll out in parallel, so their pauses may overlap: the time counts once (the union of the intervals).
 */
function pauseMsByEnvironment(pauses: readonly ReleasePauseEvent[]): Record<string, number> {
  const intervals: Record<string, [number, number][]> = {};
  const open = new Map<string, number>();
  for (const p of [...pauses].sort((a, b) => (ms(a.at) ?? 0) - (ms(b.at) ?? 0))) {
    const at = ms(p.at);
    if (at === undefined) continue;
    const key = `${p.environment}#${p.pauseId}`;
    const since = open.get(key);
    if (since !== undefined) {
      (intervals[p.environment] ??= []).push([since, at]);
      open.delete(key);
    }
    if (p.event === 'PAUSED') open.set(key, at);
  }
  return Object.fromEntries(Object.entries(intervals).map(([env, list]) => [env, unionMs(list)]));
}

/** Total length of the union of `[start, end]` intervals. */
function unionMs(list: [number, number][]): number {
  let total = 0;
  let current: [number, number] | undefined;
  for (const [start, end] of [...list].sort((a, b) => a[0] - b[0])) {
    if (current && start <= current[1]) {
      current[1] = Math.max(current[1], end);
      continue;
    }
    if (current) total += current[1] - current[0];
    current = [start, end];
  }
  return total + (current ? current[1] - current[0] : 0);
}

/**
 * Seconds waited for people and for ECS (see the module comment).
 * @example releaseWaits({ approvals: { staging: { requestedAt: t0, decidedAt: t1 } } }) // { people: …, ecs: 0 }
 */
export function releaseWaits(source: WaitsSource): ReleaseWaits {
  let people = 0;
  for (const approval of Object.values(source.approvals ?? {})) {
    const a = approval as { requestedAt?: unknown; decidedAt?: unknown } | null;
    const from = ms(a?.requestedAt);
    const to = ms(a?.decidedAt);
    if (from !== undefined && to !== undefined && to >= from) people += to - from;
  }
  const paused = pauseMsByEnvironment(source.pauses ?? []);
  people += Object.values(paused).reduce((s, n) => s + n, 0);
  let ecs = 0;
  for (const [env, result] of Object.entries(source.deployments ?? {})) {
    const times = (Array.isArray(result) ? result : [result])
      .map(rolloutTimes)
      .filter((t) => t !== undefined);
    if (times.length === 0) continue;
    const wall = Math.max(...times.map((t) => t.end)) - Math.min(...times.map((t) => t.start));
    ecs += Math.max(0, wall - (paused[env] ?? 0));
  }
  return { people: Math.round(people / 1000), ecs: Math.round(ecs / 1000) };
}
