import { createHash } from 'node:crypto';
import { JsonStore } from '../store';
import {
  FINDINGS_ANNOTATION,
  SEVERITIES,
  behaviourOf,
  readAnnotations,
  type ImageBehaviour,
} from './ecr-annotations';
import {
  AwsServiceEmulator,
  AwsServiceError,
  SANDBOX_ACCOUNT,
  SANDBOX_REGION,
  epochSeconds,
  paginate,
  requireString,
} from './protocol';
import * as registry from './ecr-registry';

export { REGISTRY_HOST, registryHost } from './ecr-registry';
export {
  FAILABLE_STAGES,
  FAIL_AT_ANNOTATION,
  FINDINGS_ANNOTATION,
  ROLLOUT_ANNOTATION,
  parseFindings,
  type ImageBehaviour,
} from './ecr-annotations';

type R = Record<string, unknown>;

/** An image stored in an emulated repository. */
export interface StoredImage {
  digest: string;
  manifest: string;
  mediaType: string;
  tags: string[];
  pushedAt: number;
  annotations: Record<string, string>;
}

/** An emulated ECR repository. */
export interface StoredRepository {
  name: string;
  createdAt: number;
  tagMutability: 'MUTABLE' | 'IMMUTABLE';
  scanOnPush: boolean;
  images: StoredImage[];
  /** The repository policy (SetRepositoryPolicy), as JSON text. */
  policyText?: string;
}

/** Persistent ECR state. */
export interface EcrState {
  repositories: Record<string, StoredRepository>;
}

/**
 * Emulated Amazon ECR: repositories, `PutImage` with OCI/Docker manifests (digest = sha256 of the
 * manifest bytes, tag immutability enforced), `BatchGetImage`, `DescribeImages` and scan findings read
 * from the manifest annotation `org.shipgate.sandbox.findings`.
 */
export class EcrEmulator implements AwsServiceEmulator {
  readonly targetPrefix = 'AmazonEC2ContainerRegistry_V20150921';
  readonly contentType = 'application/x-amz-json-1.1';
  readonly operations;

  constructor(
    private readonly store: JsonStore<EcrState>,
    /** The account whose registry this is. */
    readonly account = SANDBOX_ACCOUNT,
  ) {
    this.operations = {
      CreateRepository: (i: Record<string, unknown>) => this.createRepository(i),
      DescribeRepositories: (i: Record<string, unknown>) => this.describeRepositories(i),
      PutImage: (i: Record<string, unknown>) => this.putImage(i),
      BatchGetImage: (i: Record<string, unknown>) => this.batchGetImage(i),
      DescribeImages: (i: Record<string, unknown>) => this.describeImages(i),
      DescribeImageScanFindings: (i: Record<string, unknown>) => this.describeImageScanFindings(i),
      SetRepositoryPolicy: (i: R) =>
        this.changed(registry.setRepositoryPolicy(this.named(i), this.account, i)),
      GetRepositoryPolicy: (i: R) => registry.getRepositoryPolicy(this.named(i), this.account),
      DeleteRepositoryPolicy: (i: R) =>
        this.changed(registry.deleteRepositoryPolicy(this.named(i), this.account)),
    };
  }

  /** Repository URI in Shipgate's registry, as images reference it (policies: ecr-registry.ts). */
  static repositoryUri(name: string): string {
    return `${registry.REGISTRY_HOST}/${name}`;
  }

  private repoJson(r: StoredRepository) {
    return {
      repositoryArn: `arn:aws:ecr:${SANDBOX_REGION}:${this.account}:repository/${r.name}`,
      registryId: this.account,
      repositoryName: r.name,
      repositoryUri: `${registry.registryHost(this.account)}/${r.name}`,
      createdAt: r.createdAt,
      imageTagMutability: r.tagMutability,
      imageScanningConfiguration: { scanOnPush: r.scanOnPush },
      encryptionConfiguration: { encryptionType: 'AES256' },
    };
  }

  private changed<T>(out: T): T {
    this.store.changed();
    return out;
  }

  private named = (i: R) => this.repo(requireString(i, 'repositoryName'));

  private repo(name: string): StoredRepository {
    const r = this.store.data.repositories[name];
    if (!r) {
      throw new AwsServiceError(
        'RepositoryNotFoundException',
        `The repository with name '${name}' does not exist in the registry with id '${this.account}'`,
      );
    }
    return r;
  }

  /** Creates a repository (used by seeding and by `CreateRepository`). */
  createRepository(input: Record<string, unknown>) {
    const name = requireString(input, 'repositoryName', 'InvalidParameterException');
    if (!/^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(name)) {
      throw new AwsServiceError(
        'InvalidParameterException',
        `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''; received '${name}'`,
      );
    }
    if (this.store.data.repositories[name]) {
      throw new AwsServiceError(
        'RepositoryAlreadyExistsException',
        `The repository with name '${name}' already exists in the registry with id '${this.account}'`,
      );
    }
    const scanning = input.imageScanningConfiguration as { scanOnPush?: boolean } | undefined;
    const repo: StoredRepository = {
      name,
      createdAt: epochSeconds(),
      tagMutability: input.imageTagMutability === 'IMMUTABLE' ? 'IMMUTABLE' : 'MUTABLE',
      scanOnPush: scanning?.scanOnPush ?? false,
      images: [],
    };
    this.store.data.repositories[name] = repo;
    this.store.changed();
    return { repository: this.repoJson(repo) };
  }

  private describeRepositories(input: Record<string, unknown>) {
    const names = Array.isArray(input.repositoryNames) ? (input.repositoryNames as string[]) : undefined;
    const repos = names ? names.map((n) => this.repo(n)) : Object.values(this.store.data.repositories);
    const { page, nextToken } = paginate(repos, input.maxResults, input.nextToken);
    return { repositories: page.map((r) => this.repoJson(r)), nextToken };
  }

  /** Stores an image manifest; the digest is the sha256 of the manifest bytes, as in ECR. */
  putImage(input: Record<string, unknown>) {
    const repo = this.repo(requireString(input, 'repositoryName', 'InvalidParameterException'));
    const manifest = requireString(input, 'imageManifest', 'InvalidParameterException');
    let parsed: { schemaVersion?: number; mediaType?: string; annotations?: Record<string, unknown> };
    try {
      parsed = JSON.parse(manifest) as typeof parsed;
    } catch {
      throw new AwsServiceError(
        'InvalidParameterException',
        'Invalid parameter at \'imageManifest\': the manifest is not valid JSON; send an OCI image manifest ({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",...})',
      );
    }
    if (parsed === null || typeof parsed !== 'object' || parsed.schemaVersion !== 2) {
      throw new AwsServiceError(
        'InvalidParameterException',
        `Invalid parameter at 'imageManifest': expected schemaVersion 2, received ${JSON.stringify(parsed?.schemaVersion)}`,
      );
    }
    const annotations = readAnnotations(parsed.annotations);
    const digest = `sha256:${createHash('sha256').update(manifest, 'utf8').digest('hex')}`;
    if (typeof input.imageDigest === 'string' && input.imageDigest !== digest) {
      throw new AwsServiceError(
        'ImageDigestDoesNotMatchException',
        `The specified digest ${input.imageDigest} does not match the digest ${digest} of the manifest`,
      );
    }
    const tag = typeof input.imageTag === 'string' && input.imageTag !== '' ? input.imageTag : undefined;
    const mediaType =
      (typeof input.imageManifestMediaType === 'string' && input.imageManifestMediaType) ||
      parsed.mediaType ||
      'application/vnd.oci.image.manifest.v1+json';
    const existing = repo.images.find((i) => i.digest === digest);
    if (tag) {
      const holder = repo.images.find((i) => i.tags.includes(tag));
      if (holder && holder.digest === digest) {
        throw new AwsServiceError(
          'ImageAlreadyExistsException',
          `Image with digest '${digest}' and tag '${tag}' already exists in the repository with name '${repo.name}' in registry with id '${this.account}'`,
        );
      }
      if (holder && repo.tagMutability === 'IMMUTABLE') {
        throw new AwsServiceError(
          'ImageTagAlreadyExistsException',
          `The image tag '${tag}' already exists in the '${repo.name}' repository and cannot be overwritten because the repository is immutable.`,
        );
      }
      if (holder) holder.tags = holder.tags.filter((t) => t !== tag);
    } else if (existing) {
      throw new AwsServiceError(
        'ImageAlreadyExistsException',
        `Image with digest '${digest}' already exists in the repository with name '${repo.name}' in registry with id '${this.account}'`,
      );
    }
    const image = existing ?? {
      digest,
      manifest,
      mediaType,
      tags: [],
      pushedAt: epochSeconds(),
      annotations,
    };
    if (tag) image.tags.push(tag);
    if (!existing) repo.images.push(image);
    this.store.changed();
    return {
      image: {
        registryId: this.account,
        repositoryName: repo.name,
        imageId: { imageDigest: digest, ...(tag ? { imageTag: tag } : {}) },
        imageManifest: manifest,
        imageManifestMediaType: mediaType,
      },
    };
  }

  private findImage(
    repo: StoredRepository,
    id: { imageDigest?: string; imageTag?: string },
  ): StoredImage | undefined {
    return repo.images.find(
      (i) =>
        (id.imageDigest === undefined || i.digest === id.imageDigest) &&
        (id.imageTag === undefined || i.tags.includes(id.imageTag)) &&
        (id.imageDigest !== undefined || id.imageTag !== undefined),
    );
  }

  private batchGetImage(input: Record<string, unknown>) {
    const repo = this.repo(requireString(input, 'repositoryName', 'InvalidParameterException'));
    const ids = (Array.isArray(input.imageIds) ? input.imageIds : []) as {
      imageDigest?: string;
      imageTag?: string;
    }[];
    const images: unknown[] = [];
    const failures: unknown[] = [];
    for (const id of ids) {
      const image = this.findImage(repo, id);
      if (!image) {
        failures.push({
          imageId: id,
          failureCode: 'ImageNotFound',
          failureReason: 'Requested image not found',
        });
        continue;
      }
      images.push({
        registryId: this.account,
        repositoryName: repo.name,
        imageId: { imageDigest: image.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) },
        imageManifest: image.manifest,
        imageManifestMediaType: image.mediaType,
      });
    }
    return { images, failures };
  }

  private imageDetail(repo: StoredRepository, image: StoredImage) {
    const counts = this.behaviour(image).findings;
    return {
      registryId: this.account,
      repositoryName: repo.name,
      imageDigest: image.digest,
      ...(image.tags.length ? { imageTags: image.tags } : {}),
      imageSizeInBytes: Buffer.byteLength(image.manifest) + 1024 * 1024,
      imagePushedAt: image.pushedAt,
      imageManifestMediaType: image.mediaType,
      artifactMediaType: 'application/vnd.oci.image.config.v1+json',
      imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
      imageScanFindingsSummary: {
        imageScanCompletedAt: image.pushedAt,
        vulnerabilitySourceUpdatedAt: image.pushedAt,
        findingSeverityCounts: counts,
      },
    };
  }

  private describeImages(input: Record<string, unknown>) {
    const repo = this.repo(requireString(input, 'repositoryName', 'InvalidParameterException'));
    let images = [...repo.images];
    if (Array.isArray(input.imageIds)) {
      images = (input.imageIds as { imageDigest?: string; imageTag?: string }[]).map((id) => {
        const image = this.findImage(repo, id);
        if (!image) {
          throw new AwsServiceError(
            'ImageNotFoundException',
            `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${repo.name}' in the registry with id '${this.account}'`,
          );
        }
        return image;
      });
    }
    const filter = input.filter as { tagStatus?: string } | undefined;
    if (filter?.tagStatus === 'TAGGED') images = images.filter((i) => i.tags.length > 0);
    if (filter?.tagStatus === 'UNTAGGED') images = images.filter((i) => i.tags.length === 0);
    const { page, nextToken } = paginate(images, input.maxResults, input.nextToken);
    return { imageDetails: page.map((i) => this.imageDetail(repo, i)), nextToken };
  }

  private describeImageScanFindings(input: Record<string, unknown>) {
    const repo = this.repo(requireString(input, 'repositoryName', 'InvalidParameterException'));
    const id = (input.imageId ?? {}) as { imageDigest?: string; imageTag?: string };
    const image = this.findImage(repo, id);
    if (!image) {
      throw new AwsServiceError(
        'ImageNotFoundException',
        `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${repo.name}' in the registry with id '${this.account}'`,
      );
    }
    const counts = this.behaviour(image).findings;
    const findings: unknown[] = [];
    for (const severity of SEVERITIES) {
      for (let n = 1; n <= (counts[severity] ?? 0); n++) {
        const name = `SANDBOX-${severity}-${String(n).padStart(4, '0')}`;
        findings.push({
          name,
          description: `Emulated ${severity} finding ${n} of ${counts[severity]}, declared by the image's ${FINDINGS_ANNOTATION} annotation.`,
          uri: `https://shipgate.invalid/sandbox/findings/${name}`,
          severity,
          attributes: [
            { key: 'package_name', value: 'sandbox-package' },
            { key: 'package_version', value: '1.0.0' },
          ],
        });
      }
    }
    const { page, nextToken } = paginate(findings, input.maxResults, input.nextToken, 100);
    return {
      registryId: this.account,
      repositoryName: repo.name,
      imageId: { imageDigest: image.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) },
      imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
      imageScanFindings: {
        imageScanCompletedAt: image.pushedAt,
        vulnerabilitySourceUpdatedAt: image.pushedAt,
        findingSeverityCounts: counts,
        findings: page,
      },
      nextToken,
    };
  }

  /** What the image's annotations ask the sandbox to do (see {@link behaviourOf}). */
  behaviour(image: StoredImage): ImageBehaviour {
    return behaviourOf(image.annotations);
  }

  /**
   * How the image a task definition references behaves, or undefined when no repository holds it (the
   * port the ECS emulator reads images through).
   */
  imageBehaviour(reference: string): ImageBehaviour | undefined {
    const found = this.resolveReference(reference);
    return found ? this.behaviour(found.image) : undefined;
  }

  /**
   * Finds an image by an image reference as task definitions hold it: `<registry>/<repo>@sha256:…` or
   * `<registry>/<repo>:<tag>`.
   */
  resolveReference(reference: string): { repository: StoredRepository; image: StoredImage } | undefined {
    const at = reference.indexOf('@');
    const path = at >= 0 ? reference.slice(0, at) : reference.replace(/:[^/:]+$/, '');
    const tag =
      at < 0 && /:[^/:]+$/.test(reference) ? reference.slice(reference.lastIndexOf(':') + 1) : 'latest';
    const host = registry.registryHost(this.account);
    const repoName = path.startsWith(`${host}/`) ? path.slice(host.length + 1) : path;
    const repository = this.store.data.repositories[repoName];
    if (!repository) return undefined;
    const image =
      at >= 0
        ? repository.images.find((i) => i.digest === reference.slice(at + 1))
        : repository.images.find((i) => i.tags.includes(tag));
    return image ? { repository, image } : undefined;
  }

  /** All repositories (read-only view for the console and seeding). */
  repositories(): StoredRepository[] {
    return Object.values(this.store.data.repositories);
  }
}
