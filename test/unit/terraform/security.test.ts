import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../../lambdas/shared/config';
import {
  TERRAFORM_DIR,
  child,
  listFiles,
  parseAll,
  parseFile,
  resourcesOfType,
  variablesOf,
  type Block,
  type TfFile,
} from './hcl';

const REPO_ROOT = join(TERRAFORM_DIR, '..');

/** Every policy-document statement under terraform/ with its conditions. */
function statements(files: TfFile[]): { file: string; doc: string; conditions: Block[] }[] {
  return resourcesOfType(files, 'aws_iam_policy_document', 'data').flatMap((d) =>
    ((d.body.statement as Block[] | undefined) ?? []).map((s) => ({
      file: d.file,
      doc: d.name,
      conditions: (s.condition as Block[] | undefined) ?? [],
    })),
  );
}

describe('GitLab OIDC trust', () => {
  let files: TfFile[];
  beforeAll(async () => {
    files = await parseAll();
  });

  it('pins sub with StringEquals (never StringLike) and always checks aud in the same statement', () => {
    const trusting = statements(files).filter((s) =>
      s.conditions.some((c) => String(c.variable).endsWith(':sub')),
    );
    expect(trusting.length).toBeGreaterThan(0);
    for (const s of trusting) {
      const sub = s.conditions.find((c) => String(c.variable).endsWith(':sub'))!;
      const aud = s.conditions.find((c) => String(c.variable).endsWith(':aud'));
      expect(sub.test).toBe('StringEquals');
      expect(aud).toMatchObject({ test: 'StringEquals' });
    }
    // The other direction: every statement that lets a web identity (an OIDC token) assume a role is one
    // of those — a trust statement without a sub or aud condition would trust every project of the issuer.
    const webIdentity = resourcesOfType(files, 'aws_iam_policy_document', 'data').flatMap((d) =>
      ((d.body.statement as Block[] | undefined) ?? [])
        .filter((s) => JSON.stringify(s.actions ?? []).includes('AssumeRoleWithWebIdentity'))
        .map((s) => ({
          at: `${d.file}: ${d.name}`,
          claims: ((s.condition as Block[] | undefined) ?? [])
            .filter((c) => c.test === 'StringEquals')
            .map((c) => String(c.variable).split(':').pop())
            .sort(),
        })),
    );
    expect(webIdentity.length).toBeGreaterThan(0);
    for (const s of webIdentity) expect(s).toEqual({ at: s.at, claims: ['aud', 'sub'] });
    // No role trusts a web identity through an inline JSON document (which the checks above would miss).
    for (const role of resourcesOfType(files, 'aws_iam_role')) {
      expect({ role: `${role.file}: ${role.name}`, policy: role.body.assume_role_policy }).toEqual({
        role: `${role.file}: ${role.name}`,
        policy: expect.stringMatching(/^\$\{data\.aws_iam_policy_document\.\w+(\[[^\]]+\])?\.json\}$/),
      });
    }
    // Nowhere in terraform/ does a condition on a token claim use a pattern operator.
    for (const f of files) expect(f.text).not.toMatch(/StringLike[\s\S]{0,120}:sub/);
  });

  it('builds sub as project_path:<project>:ref_type:<type>:ref:<ref> from literal values', async () => {
    const main = await parseFile('modules/gitlab-oidc/main.tf');
    expect(main.text).toContain('"project_path:${s.project_path}:ref_type:${s.ref_type}:ref:${s.ref}"');
    const trust = resourcesOfType([main], 'aws_iam_policy_document', 'data').find(
      (d) => d.name === 'assume',
    )!;
    const stmt = (trust.body.statement as Block[])[0];
    expect(stmt.actions).toEqual(['sts:AssumeRoleWithWebIdentity']);
    expect(child(stmt, 'principals')).toMatchObject({ type: 'Federated' });
  });

  it('refuses wildcards in trusted project paths and refs', async () => {
    const vars = variablesOf(await parseFile('modules/gitlab-oidc/variables.tf'));
    const condition = (vars.roles.validation as Block[])[0].condition as string;
    const [project, ref] = [...condition.matchAll(/regex\("((?:[^"\\]|\\.)*)"/g)].map(
      (m) => new RegExp(m[1]),
    );
    expect(project.test('root/api-gateway')).toBe(true);
    expect(project.test('group/sub-group/project.name')).toBe(true);
    for (const bad of ['root/*', '*', 'root/api-*', 'root/?pi', 'root'])
      expect(project.test(bad)).toBe(false);
    expect(ref.test('main')).toBe(true);
    for (const bad of ['*', 'main*', 'release/?']) expect(ref.test(bad)).toBe(false);
  });

  it('trusts exactly the configured projects on main: one push role per service, one Terraform role', async () => {
    const vars = variablesOf(await parseFile('bootstrap/variables.tf'));
    const services = vars.service_projects.default as Record<string, { project_path: string }>;
    const config = loadConfig(join(REPO_ROOT, 'shipgate.config.yaml'), {});
    // Every service repository has a role for the project that releases it.
    for (const [service, svc] of Object.entries(config.services)) {
      const project = config.projects.find((p) => p.services.includes(service))!;
      expect(services[svc.repository]).toEqual({ project_path: project.path });
    }
    expect(vars.infra_project.default).toEqual({ project_path: expect.stringMatching(/^[\w.-]+\/[\w.-]+$/) });
    const main = await parseFile('bootstrap/main.tf');
    const roles = String((main.json.module as Record<string, Block[]>).gitlab_oidc[0].roles);
    expect(roles).toContain('"gitlab-ci-ecr-push-${repository}"');
    expect(roles).toContain('"gitlab-ci-terraform"');
    // The push role may push to its own repository only.
    const push = resourcesOfType([main], 'aws_iam_policy_document', 'data').find(
      (d) => d.name === 'ecr_push',
    )!;
    const resources = (push.body.statement as Block[]).map((s) => s.resources);
    expect(resources).toContainEqual([expect.stringMatching(/:repository\/\$\{each\.key\}$/)]);
  });

  it('never lets the Terraform role attach arbitrary managed policies to the roles it creates', async () => {
    const main = await parseFile('bootstrap/main.tf');
    const doc = resourcesOfType([main], 'aws_iam_policy_document', 'data').find(
      (d) => d.name === 'terraform',
    )!;
    const stmts = doc.body.statement as Block[];
    const attach = stmts.filter((s) => (s.actions as string[]).includes('iam:AttachRolePolicy'));
    expect(attach).toHaveLength(1);
    expect(child(attach[0], 'condition')).toMatchObject({ test: 'ArnEquals', variable: 'iam:PolicyARN' });
    expect(JSON.stringify(attach[0])).not.toContain('AdministratorAccess');
  });
});

describe('no AWS keys or secrets in terraform/', () => {
  const everyFile = listFiles(['']).filter((p) => !p.endsWith('.md'));

  it('has no access key IDs, secret keys or static credentials in any file', () => {
    expect(everyFile.length).toBeGreaterThan(40);
    for (const path of everyFile) {
      const text = readFileSync(join(TERRAFORM_DIR, path), 'utf8');
      expect({ path, hit: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/.exec(text)?.[0] }).toEqual({ path, hit: undefined });
      expect({ path, hit: /\b(access_key|secret_key|aws_secret_access_key)\s*=/i.exec(text)?.[0] }).toEqual({
        path,
        hit: undefined,
      });
      expect({ path, hit: /AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)/.exec(text)?.[0] }).toEqual({
        path,
        hit: undefined,
      });
      // A password or secret is never a literal: only references (var., random_password., …).
      expect({ path, hit: /\b(password|secret_string)\s*=\s*"[^"$]/.exec(text)?.[0] }).toEqual({
        path,
        hit: undefined,
      });
    }
  });

  it('gives no provider block credentials or a shared profile', async () => {
    for (const f of await parseAll()) {
      for (const aws of (f.json.provider as Record<string, Block[]> | undefined)?.aws ?? []) {
        expect(Object.keys(aws)).not.toEqual(expect.arrayContaining(['access_key']));
        expect(aws).not.toHaveProperty('secret_key');
        expect(aws).not.toHaveProperty('profile');
        expect(aws).not.toHaveProperty('shared_credentials_files');
      }
    }
  });
});

describe('infra pipeline (terraform/.gitlab-ci.yml)', () => {
  const ci = parseYaml(readFileSync(join(TERRAFORM_DIR, '.gitlab-ci.yml'), 'utf8')) as Record<string, Block>;
  const job = (name: string) =>
    ci[name] as Block & { extends?: string[]; needs?: string[]; script?: string[] };
  const resolved = (name: string): Block => {
    const j = job(name);
    return Object.assign({}, ...(j.extends ?? []).map(resolved), j);
  };

  it('checks formatting and validates every root', () => {
    expect(job('fmt').script).toContainEqual(expect.stringContaining('terraform fmt -check -recursive'));
    const validate = (job('validate').script as string[]).join('\n');
    for (const root of ['bootstrap', 'global', 'environments/staging', 'environments/production']) {
      expect(validate).toContain(root);
    }
    expect(validate).toContain('terraform -chdir="$root" validate');
  });

  it('plans every environment and applies each only after a manual, blocking gate', () => {
    for (const env of ['global', 'staging', 'production']) {
      const plan = resolved(`plan:${env}`);
      expect(plan.script).toContainEqual(expect.stringMatching(/^terraform plan /));
      const apply = resolved(`apply:${env}`);
      expect(apply.rules).toEqual([expect.objectContaining({ when: 'manual', allow_failure: false })]);
      expect(job(`apply:${env}`).needs).toEqual([`plan:${env}`]);
    }
  });

  it('applies a fresh plan: plan and apply run in the same apply job', () => {
    const script = resolved('apply:production').script as string[];
    const plan = script.findIndex((l) => /^terraform plan .*-out=apply\.tfplan/.test(l));
    const apply = script.findIndex((l) => /^terraform apply .*apply\.tfplan$/.test(l));
    expect(plan).toBeGreaterThanOrEqual(0);
    expect(apply).toBeGreaterThan(plan);
  });

  it('rolls out staging before production', () => {
    expect(job('plan:production').needs).toEqual(['apply:staging']);
    expect(job('plan:staging').needs).toContain('apply:global');
  });

  it('gets AWS credentials from a GitLab ID token, never from keys', () => {
    const aws = job('.aws');
    expect(Object.keys(aws.id_tokens as object)).toEqual(['GITLAB_OIDC_TOKEN']);
    const text = readFileSync(join(TERRAFORM_DIR, '.gitlab-ci.yml'), 'utf8');
    expect(text).toContain('AWS_WEB_IDENTITY_TOKEN_FILE');
    expect(text).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
    for (const name of ['plan:staging', 'apply:staging', 'plan:production', 'apply:production']) {
      expect(resolved(name).id_tokens).toBeDefined();
    }
  });
});
