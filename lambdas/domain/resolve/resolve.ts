import { DescribeImagesCommand, DescribeRepositoriesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ecr as defaultEcr } from '../../shared/clients/ecr';
import { clientForEnvironment, environmentAws } from '../../shared/clients/environment';
import { ssm as defaultSsm } from '../../shared/clients/ssm';
import { formatIssues, getEnvironment, type ShipgateConfig } from '../../shared/config';
import { contractParameterName, deployContractSchema, type DeployContract } from '../../shared/contract';
import { planRollout } from '../rollout/strategy';
import { ConfigError, ContractError, ImageNotFoundError, ShipgateError } from '../../shared/errors';
import { DigestQuarantined } from '../ledger/errors';
import type { ReleaseInput, ResolvedImage, ResolvedRelease } from '../../shared/release';

/** Dependencies of {@link resolveRelease}. */
export interface ResolveDeps {
  /** The validated configuration (services → ECR repositories, contracts prefix). */
  config: ShipgateConfig;
  /** ECR of Shipgate's own account, where the pipeline pushes the images. */
  ecr?: Pick<ECRClient, 'send'>;
  /**
   * SSM for every environment's contracts (tests); by default an environment with its own account
   * (`environments[].aws`) is read with its deploy role there, the others in Shipgate's account.
   */
  ssm?: Pick<SSMClient, 'send'>;
  /**
   * Refuses a digest rolled back for the service and still quarantined (throws `DigestQuarantined`); the
   * step passes the ledger's `assertNotQuarantined`.
   */
  checkQuarantine?: (service: string, digest: string) => Promise<void>;
}

const errorName = (err: unknown): string | undefined => (err as { name?: string } | undefined)?.name;

/**
 * Finds the image of `service` tagged with the commit SHA and pins it by digest.
 * @throws ImageNotFoundError when the repository or the tag does not exist, or the tag is ambiguous.
 */
export async function resolveImage(
  service: string,
  sha: string,
  { config, ecr = defaultEcr }: ResolveDeps,
): Promise<ResolvedImage> {
  const svc = config.services[service];
  if (!svc) {
    throw new ConfigError(
      `The release names service "${service}", which is not under "services" in the Shipgate config; configured: ${Object.keys(config.services).join(', ')}`,
    );
  }
  const repository = svc.repository;
  let repositoryUri: string | undefined;
  try {
    const out = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repository] }));
    repositoryUri = out.repositories?.[0]?.repositoryUri;
  } catch (err) {
    if (errorName(err) === 'RepositoryNotFoundException') {
      throw new ImageNotFoundError(
        `ECR repository "${repository}" (service "${service}") does not exist in this account and region; create it (Terraform owns it) or fix services.${service}.repository in the Shipgate config.`,
        { cause: err },
      );
    }
    throw err;
  }
  if (!repositoryUri) {
    throw new ImageNotFoundError(
      `ECR did not return a URI for repository "${repository}" (service "${service}"); check that the repository exists.`,
    );
  }
  let digests: string[];
  try {
    const out = await ecr.send(
      new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: sha }] }),
    );
    digests = [
      ...new Set((out.imageDetails ?? []).map((d) => d.imageDigest).filter((d): d is string => !!d)),
    ];
  } catch (err) {
    if (errorName(err) === 'ImageNotFoundException') {
      digests = [];
    } else {
      throw err;
    }
  }
  if (digests.length === 0) {
    throw new ImageNotFoundError(
      `No image tagged "${sha}" in ECR repository "${repository}" (service "${service}"). The pipeline must push ${repositoryUri}:${sha} before Shipgate can release this commit.`,
    );
  }
  if (digests.length > 1) {
    throw new ImageNotFoundError(
      `Tag "${sha}" in ECR repository "${repository}" points at ${digests.length} images (${digests.join(', ')}); make the tag immutable so a commit names exactly one image.`,
    );
  }
  const digest = digests[0];
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new ImageNotFoundError(
      `ECR returned digest "${digest}" for ${repository}:${sha}, which is not a sha256 digest; Shipgate only pins images by sha256.`,
    );
  }
  return { service, repository, digest, imageUri: `${repositoryUri}@${digest}` };
}

/**
 * Reads and validates the deploy contract Terraform published for (environment, service).
 * @throws ContractError when the parameter is missing, not JSON, invalid, or names another repository.
 */
export async function readContract(
  environment: string,
  service: string,
  { config, ssm }: ResolveDeps,
): Promise<DeployContract> {
  ssm ??= clientForEnvironment(SSMClient, defaultSsm, environmentAws(config, environment));
  const name = contractParameterName(config.contractsPrefix, environment, service);
  let text: string | undefined;
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name }));
    text = out.Parameter?.Value;
  } catch (err) {
    if (errorName(err) === 'ParameterNotFound') {
      throw new ContractError(
        `Deploy contract ${name} is missing, so Shipgate does not know where "${service}" runs in ${environment}; apply the Terraform environment "${environment}" (module deploy-contract publishes it).`,
        { cause: err },
      );
    }
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? '');
  } catch (err) {
    throw new ContractError(
      `Deploy contract ${name} is not JSON (received ${JSON.stringify((text ?? '').slice(0, 60))}); publish it with the Terraform deploy-contract module.`,
      { cause: err },
    );
  }
  const parsed = deployContractSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ContractError(
      `Deploy contract ${name} is invalid:\n${formatIssues(parsed.error.issues)}\nFix the Terraform inputs that publish it.`,
    );
  }
  const expected = config.services[service]?.repository;
  if (expected && parsed.data.repository !== expected) {
    throw new ContractError(
      `Deploy contract ${name} names ECR repository "${parsed.data.repository}" but the Shipgate config has services.${service}.repository = "${expected}"; make them agree.`,
    );
  }
  // What ECS would refuse at UpdateService (strategy the contract cannot run, limits) is refused now,
  // before anyone is asked to approve.
  planRollout(parsed.data, config, service, environment);
  return parsed.data;
}

/**
 * "Resolve release": pins every service's image by digest (the image tagged with the commit SHA) and checks
 * that a valid deploy contract exists for every (environment, service) of the release, so a release that
 * cannot finish fails before the scan and before anyone is asked to approve it. All problems are reported
 * at once.
 * @throws ImageNotFoundError when any image is missing (listing every problem found).
 * @throws ContractError when all images exist but a contract is missing or invalid.
 * @throws DigestQuarantined when an image was rolled back for its service and its quarantine was not lifted.
 * @example const resolved = await resolveRelease(input, { config: getConfig() });
 */
export async function resolveRelease(input: ReleaseInput, deps: ResolveDeps): Promise<ResolvedRelease> {
  const { release } = input;
  for (const environment of release.environments) getEnvironment(deps.config, environment);

  const imageResults = await Promise.allSettled(
    release.services.map((service) => resolveImage(service, release.commit.sha, deps)),
  );
  const contractResults = await Promise.allSettled(
    release.environments.flatMap((environment) =>
      release.services.map((service) => readContract(environment, service, deps)),
    ),
  );
  const failures = [...imageResults, ...contractResults]
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => r.reason as unknown);
  if (failures.length > 0) {
    const unexpected = failures.find((e) => !(e instanceof ShipgateError));
    if (unexpected) throw unexpected; // AWS outages and throttling: let Step Functions see the SDK error.
    if (failures.length === 1) throw failures[0];
    const first = failures[0] as ShipgateError;
    const message = `${failures.length} problems stop release ${release.id}:\n${failures
      .map((e) => `- ${(e as Error).message}`)
      .join('\n')}`;
    throw first instanceof ImageNotFoundError
      ? new ImageNotFoundError(message, { cause: first })
      : first instanceof ContractError
        ? new ContractError(message, { cause: first })
        : new ConfigError(message, { cause: first });
  }
  const images = imageResults.map((r) => (r as PromiseFulfilledResult<ResolvedImage>).value);
  if (deps.checkQuarantine) {
    const check = deps.checkQuarantine;
    const refused = (await Promise.allSettled(images.map((i) => check(i.service, i.digest))))
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => r.reason as Error);
    // AWS errors (throttling, outages) pass through as they are, for Step Functions to retry or report.
    const unexpected = refused.find((e) => !(e instanceof DigestQuarantined));
    if (unexpected) throw unexpected;
    if (refused.length === 1) throw refused[0];
    if (refused.length > 1) {
      throw new DigestQuarantined(
        `${refused.length} images of release ${release.id} are quarantined:\n${refused.map((e) => `- ${e.message}`).join('\n')}`,
        { cause: refused[0] },
      );
    }
  }
  return { images };
}
