import { formatIssues, getConfig } from '../shared/config';
import { BadRequestError } from '../shared/errors';
import { logger } from '../shared/logger';
import { releaseInputSchema, type ResolvedRelease } from '../shared/release';
import { resolveRelease } from '../domain/resolve/resolve';
import { assertNotQuarantined } from '../domain/ledger/quarantine';
import { countReleaseErrors, putMetric } from '../shared/monitoring/emit';
import { METRICS } from '../shared/monitoring/names';

/**
 * "Resolve release" state: input is the execution input (`ReleaseInput`), output goes to `$.resolved`
 * (`{ images: [{ service, repository, digest, imageUri }] }`). Fails with `ImageNotFoundError` or
 * `ContractError` saying what to fix, or `DigestQuarantined` naming the rollback of an image (see
 * lambdas/domain/ledger/quarantine.ts). Counts `ReleasesStarted`.
 */
export const handler = countReleaseErrors(
  'resolve-release',
  async (event: unknown): Promise<ResolvedRelease> => {
    const parsed = releaseInputSchema.safeParse(event);
    if (!parsed.success) {
      throw new BadRequestError(`Resolve release input is invalid:\n${formatIssues(parsed.error.issues)}`);
    }
    // The workflow's first state: one execution, one release started (issue 31 metrics).
    putMetric(METRICS.releasesStarted, 1);
    const resolved = await resolveRelease(parsed.data, {
      config: getConfig(),
      checkQuarantine: (service, digest) => assertNotQuarantined(service, digest),
    });
    logger.info('Release resolved', {
      releaseId: parsed.data.release.id,
      images: resolved.images.map((i) => `${i.service}@${i.digest}`),
    });
    return resolved;
  },
);
