/**
 * DORA performance levels of each figure, from the software delivery performance clusters of the 2024
 * Accelerate State of DevOps Report (DORA, https://dora.dev/research/2024/dora-report/; metric definitions at
 * https://dora.dev/guides/dora-metrics-four-keys/). The report's clusters are:
 *
 * | level  | deployment frequency              | change lead time        | change fail rate | recovery time          |
 * |--------|-----------------------------------|-------------------------|------------------|------------------------|
 * | elite  | on demand (multiple deploys a day) | less than one day       | 5%               | less than one hour     |
 * | high   | once a day to once a week          | one day to one week     | 20%              | less than one day      |
 * | medium | once a week to once a month        | one week to one month   | 10%              | less than one day      |
 * | low    | once a month to once in six months | one month to six months | 40%              | one week to one month  |
 *
 * The clusters were found on all four figures together, so they are not monotonic per figure (medium has a
 * lower fail rate than high). Each figure is placed in the best cluster whose published value it meets, in
 * the order elite, high, medium, low; a value worse than every cluster is `low`. So a fail rate of 8% is
 * `high` (it meets high's 20%), and medium is never given for fail rate or recovery time. Rework rate has no
 * clusters in the report: its level is always `null`.
 */

/** A DORA performance cluster. */
export type PerformanceLevel = 'elite' | 'high' | 'medium' | 'low';

const HOUR = 3600;
const DAY = 24 * HOUR;

/** Where the thresholds come from (served with every report). */
export const LEVELS_SOURCE =
  'DORA 2024 Accelerate State of DevOps Report, software delivery performance clusters (https://dora.dev/research/2024/dora-report/)';

/** Level of a deployment frequency in deployments per day (`null` without deployments). */
export function frequencyLevel(perDay: number, deployments: number): PerformanceLevel | null {
  if (deployments === 0) return null;
  if (perDay >= 1) return 'elite';
  if (perDay >= 1 / 7) return 'high';
  if (perDay >= 1 / 30) return 'medium';
  return 'low';
}

/** Level of a median change lead time in seconds. */
export function leadTimeLevel(medianSeconds: number | null): PerformanceLevel | null {
  if (medianSeconds === null) return null;
  if (medianSeconds < DAY) return 'elite';
  if (medianSeconds <= 7 * DAY) return 'high';
  if (medianSeconds <= 30 * DAY) return 'medium';
  return 'low';
}

/** Level of a change fail rate (0–1). */
export function failureRateLevel(rate: number | null): PerformanceLevel | null {
  if (rate === null) return null;
  if (rate <= 0.05) return 'elite';
  if (rate <= 0.2) return 'high';
  return 'low';
}

/** Level of a median failed-deployment recovery time in seconds. */
export function recoveryLevel(medianSeconds: number | null): PerformanceLevel | null {
  if (medianSeconds === null) return null;
  if (medianSeconds < HOUR) return 'elite';
  if (medianSeconds < DAY) return 'high';
  return 'low';
}
