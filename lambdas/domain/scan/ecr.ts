import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandOutput,
  type ECRClient,
  type EnhancedImageScanFinding,
  type ImageScanFinding,
} from '@aws-sdk/client-ecr';
import { ecr as defaultEcr } from '../../shared/clients/ecr';
import { SEVERITIES, type Severity } from '../../shared/config';
import type { ResolvedImage } from '../../shared/release';
import { normalizeSeverity, parseEcrBasicFindings, parseEcrEnhancedFindings } from './parsers';
import type { Finding } from './types';

/** Result of waiting for one image's ECR scan. */
export type EcrScanResult =
  { status: 'complete'; findings: Finding[]; enhanced: boolean } | { status: 'missing'; reason: string };

/** Dependencies of `waitForEcrScan` (injectable for tests). */
export interface EcrScanDeps {
  ecr?: Pick<ECRClient, 'send'>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** ECR statuses meaning "results are here". `ACTIVE` is enhanced (continuous) scanning. */
const DONE = new Set(['COMPLETE', 'ACTIVE']);
/** ECR statuses meaning "ask again later". */
const PENDING = new Set(['IN_PROGRESS', 'PENDING']);

/** Backoff between polls: 2 s, 4 s, 8 s, then every 15 s. */
export function pollDelayMs(attempt: number): number {
  return Math.min(2000 * 2 ** attempt, 15_000);
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Account id of the registry when the image URI is an ECR URI, so cross-account registries work. */
function registryIdOf(imageUri: string): string | undefined {
  return /^(\d{12})\.dkr\.ecr\./.exec(imageUri)?.[1];
}

/**
 * Waits, at most `waitForSeconds`, for ECR to finish scanning an image (by digest) and returns its findings,
 * basic or enhanced. `ScanNotFoundException`, `IN_PROGRESS` and `PENDING` are polled with backoff inside the
 * bound; a scan that fails, an unsupported image or a bound that runs out give `missing` with the reason.
 * @example const result = await waitForEcrScan(image, 300);
 */
export async function waitForEcrScan(
  image: ResolvedImage,
  waitForSeconds: number,
  { ecr = defaultEcr, sleep = defaultSleep, now = Date.now }: EcrScanDeps = {},
): Promise<EcrScanResult> {
  const deadline = now() + waitForSeconds * 1000;
  const registryId = registryIdOf(image.imageUri);
  let lastState: string;
  let slept = 0;
  for (let attempt = 0; ; attempt += 1) {
    const page = await describe(ecr, image, registryId, undefined).catch((err: unknown) => err as Error);
    if (page instanceof Error) {
      if (page.name === 'ScanNotFoundException') {
        lastState = 'no scan found (is scan on push or enhanced scanning enabled for the repository?)';
      } else {
        return { status: 'missing', reason: `ECR ${page.name}: ${page.message}` };
      }
    } else {
      const status = page.imageScanStatus?.status ?? 'UNKNOWN';
      if (DONE.has(status)) return collect(ecr, image, registryId, page);
      if (!PENDING.has(status)) {
        return {
          status: 'missing',
          reason: `ECR scan ${status}${page.imageScanStatus?.description ? `: ${page.imageScanStatus.description}` : ''}`,
        };
      }
      lastState = `scan still ${status}`;
    }
    // Bounded by the clock and by the time slept, so a clock that stands still cannot loop forever.
    const remaining = Math.min(deadline - now(), waitForSeconds * 1000 - slept);
    if (remaining <= 0) {
      return { status: 'missing', reason: `ECR ${lastState} after ${waitForSeconds} s` };
    }
    const pause = Math.min(pollDelayMs(attempt), remaining);
    slept += pause;
    await sleep(pause);
  }
}

async function describe(
  ecr: Pick<ECRClient, 'send'>,
  image: ResolvedImage,
  registryId: string | undefined,
  nextToken: string | undefined,
): Promise<DescribeImageScanFindingsCommandOutput> {
  return ecr.send(
    new DescribeImageScanFindingsCommand({
      repositoryName: image.repository,
      imageId: { imageDigest: image.digest },
      ...(registryId ? { registryId } : {}),
      maxResults: 1000,
      ...(nextToken ? { nextToken } : {}),
    }),
  );
}

/** Reads every page of findings of a completed scan. */
async function collect(
  ecr: Pick<ECRClient, 'send'>,
  image: ResolvedImage,
  registryId: string | undefined,
  first: DescribeImageScanFindingsCommandOutput,
): Promise<EcrScanResult> {
  const basic: ImageScanFinding[] = [];
  const enhanced: EnhancedImageScanFinding[] = [];
  let page = first;
  let severityCounts: Record<string, number> | undefined;
  for (let pages = 0; pages < 50; pages += 1) {
    basic.push(...(page.imageScanFindings?.findings ?? []));
    enhanced.push(...(page.imageScanFindings?.enhancedFindings ?? []));
    severityCounts ??= page.imageScanFindings?.findingSeverityCounts;
    if (!page.nextToken) break;
    page = await describe(ecr, image, registryId, page.nextToken);
  }
  const findings = [
    ...parseEcrBasicFindings(basic, image.service),
    ...parseEcrEnhancedFindings(enhanced, image.service),
  ];
  // ECR's severity counts are authoritative: if a count names more findings than were listed (a truncated
  // listing), the difference still counts, under a placeholder id that says so.
  for (const [word, n] of Object.entries(severityCounts ?? {})) {
    const severity: Severity = normalizeSeverity(word);
    if (!SEVERITIES.includes(severity)) continue;
    const listed = findings.filter(
      (f) => f.severity === severity && (enhanced.length === 0 || f.sources[0] === 'ecr-enhanced'),
    ).length;
    for (let i = listed; i < n; i += 1) {
      findings.push({
        id: `ECR-${severity}-UNLISTED-${i + 1 - listed}`,
        aliases: [],
        severity,
        service: image.service,
        title: 'counted in ECR findingSeverityCounts but not listed',
        sources: ['ecr'],
      });
    }
  }
  return { status: 'complete', findings, enhanced: enhanced.length > 0 };
}
