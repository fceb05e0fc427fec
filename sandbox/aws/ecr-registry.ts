import { AwsServiceError, SANDBOX_ACCOUNT, SANDBOX_REGION, requireString } from './protocol';

/** Registry host of an account (same shape as ECR's). */
export const registryHost = (account: string): string => `${account}.dkr.ecr.${SANDBOX_REGION}.amazonaws.com`;

/** Registry host of Shipgate's account, where the pipelines push. */
export const REGISTRY_HOST = registryHost(SANDBOX_ACCOUNT);

/**
 * The registry seen from several accounts. ECR repository policies (`SetRepositoryPolicy`, `GetRepositoryPolicy`, `DeleteRepositoryPolicy`): the
 * resource policy that lets another account pull from a repository ("Private repository policy examples",
 * Amazon ECR user guide: allow `ecr:BatchGetImage` and `ecr:GetDownloadUrlForLayer` to the account's root
 * principal). The ECS emulator of an environment's account asks {@link allowsPull} before it starts an image
 * of Shipgate's registry; without such a statement the tasks fail as CannotPullContainerError would.
 */

/** What a repository keeps of its policy. */
export interface PolicyHolder {
  name: string;
  policyText?: string;
}

interface Statement {
  Effect?: string;
  Principal?: string | { AWS?: string | string[] };
  Action?: string | string[];
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

function statements(policyText: string): Statement[] {
  const doc = JSON.parse(policyText) as { Statement?: Statement | Statement[] };
  return Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
}

/** SetRepositoryPolicy: the text must be a JSON policy document with at least one statement. */
export function setRepositoryPolicy(repo: PolicyHolder, registryId: string, input: Record<string, unknown>) {
  const policyText = requireString(input, 'policyText', 'InvalidParameterException');
  let parsed: Statement[];
  try {
    parsed = statements(policyText);
  } catch {
    throw new AwsServiceError(
      'InvalidParameterException',
      `Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'`,
    );
  }
  if (parsed.length === 0) {
    throw new AwsServiceError(
      'InvalidParameterException',
      `Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'`,
    );
  }
  repo.policyText = policyText;
  return { registryId, repositoryName: repo.name, policyText };
}

/** GetRepositoryPolicy; `RepositoryPolicyNotFoundException` when the repository has none. */
export function getRepositoryPolicy(repo: PolicyHolder, registryId: string) {
  if (!repo.policyText) throw notFound(repo, registryId);
  return { registryId, repositoryName: repo.name, policyText: repo.policyText };
}

/** DeleteRepositoryPolicy; `RepositoryPolicyNotFoundException` when the repository has none. */
export function deleteRepositoryPolicy(repo: PolicyHolder, registryId: string) {
  const policyText = repo.policyText;
  if (!policyText) throw notFound(repo, registryId);
  delete repo.policyText;
  return { registryId, repositoryName: repo.name, policyText };
}

function notFound(repo: PolicyHolder, registryId: string): AwsServiceError {
  return new AwsServiceError(
    'RepositoryPolicyNotFoundException',
    `Repository policy does not exist for the repository with name '${repo.name}' in the registry with id '${registryId}'`,
  );
}

/**
 * Whether principals of `account` may pull from the repository: an `Allow` statement whose principal is the
 * account (id, `arn:aws:iam::<id>:root`, a principal of that account, or `*`) and whose actions include
 * `ecr:BatchGetImage` (or `ecr:*` / `*`), and no `Deny` statement that matches the same way.
 */
export function allowsPull(repo: PolicyHolder, account: string): boolean {
  if (!repo.policyText) return false;
  const matches = (s: Statement) => {
    const principals = typeof s.Principal === 'string' ? [s.Principal] : list(s.Principal?.AWS);
    const who = principals.some(
      (p) => p === '*' || p === account || p.startsWith(`arn:aws:iam::${account}:`),
    );
    const what = list(s.Action).some((a) => ['*', 'ecr:*', 'ecr:BatchGetImage'].includes(a));
    return who && what;
  };
  let parsed: Statement[];
  try {
    parsed = statements(repo.policyText);
  } catch {
    return false;
  }
  if (parsed.some((s) => s.Effect === 'Deny' && matches(s))) return false;
  return parsed.some((s) => s.Effect === 'Allow' && matches(s));
}

/** What the ECS emulator asks of a registry (structural, so this module needs nothing of ecr.ts). */
interface Registry<B> {
  imageBehaviour(reference: string): B | undefined;
  resolveReference(reference: string): { repository: PolicyHolder; image: unknown } | undefined;
}

/**
 * The images the ECS of `account` can run: its own registry's, and those of Shipgate's registry whose
 * repository policy lets `account` pull (see {@link allowsPull}); an image of Shipgate's registry that it may
 * not pull fails to start (`rollout: 'fail'`), as tasks stop with CannotPullContainerError in AWS.
 */
export function pullableImages<B>(
  account: string,
  own: Pick<Registry<B>, 'imageBehaviour'>,
  shipgate: Registry<B>,
): { imageBehaviour(reference: string): B | { rollout: 'fail' } | undefined } {
  return {
    imageBehaviour(reference) {
      if (!reference.startsWith(`${REGISTRY_HOST}/`)) return own.imageBehaviour(reference);
      const found = shipgate.resolveReference(reference);
      if (found && !allowsPull(found.repository, account)) return { rollout: 'fail' };
      return shipgate.imageBehaviour(reference);
    },
  };
}
