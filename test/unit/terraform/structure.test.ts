import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ENVIRONMENTS,
  MODULES,
  TERRAFORM_DIR,
  blocksOf,
  child,
  listFiles,
  outputsOf,
  parseAll,
  parseFile,
  terraformAvailable,
  variablesOf,
  type TfFile,
} from './hcl';

const REQUIRED_MODULES = [
  'network',
  'alb',
  'ecs-cluster',
  'ecs-service',
  'ecr',
  'data',
  'monitoring',
  'codedeploy',
  'deploy-contract',
  'gitlab-oidc',
  'environment',
];

describe('terraform/ layout', () => {
  let files: TfFile[];
  beforeAll(async () => {
    files = await parseAll();
  });

  it('has every module the environments need', () => {
    expect(MODULES).toEqual(expect.arrayContaining(REQUIRED_MODULES));
  });

  // Every directory under modules/, not only the required ones: a new module gets the same checks.
  const ALL_MODULES = [...new Set([...REQUIRED_MODULES, ...MODULES])];

  it.each(ALL_MODULES)('module %s has main.tf, variables.tf, outputs.tf, versions.tf and a README', (m) => {
    for (const f of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf', 'README.md']) {
      expect(existsSync(join(TERRAFORM_DIR, 'modules', m, f))).toBe(true);
    }
    const readme = readFileSync(join(TERRAFORM_DIR, 'modules', m, 'README.md'), 'utf8');
    // The README documents every input of the module.
    return parseFile(`modules/${m}/variables.tf`).then((vars) => {
      for (const name of Object.keys(variablesOf(vars))) expect(readme).toContain(`\`${name}\``);
    });
  });

  it('parses every .tf file (HCL syntax errors fail here)', () => {
    expect(files.length).toBeGreaterThan(40);
    for (const f of files) expect(f.json).toBeInstanceOf(Object);
  });

  it('gives every variable a type and a non-empty description', () => {
    const problems: string[] = [];
    let count = 0;
    for (const f of files) {
      for (const [name, body] of Object.entries(variablesOf(f))) {
        count++;
        if (typeof body.type !== 'string' || !body.type)
          problems.push(`${f.path}: variable "${name}" has no type`);
        if (typeof body.description !== 'string' || body.description.trim().length < 10) {
          problems.push(`${f.path}: variable "${name}" has no useful description`);
        }
      }
    }
    expect(count).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });

  it('declares variables and outputs only in variables.tf and outputs.tf', () => {
    for (const f of files) {
      if (Object.keys(variablesOf(f)).length) expect(f.path).toMatch(/variables\.tf$/);
      if (Object.keys(outputsOf(f)).length) expect(f.path).toMatch(/outputs\.tf$/);
    }
  });

  it('describes every output and wraps its value in try(…, null)', () => {
    const problems: string[] = [];
    for (const f of files) {
      for (const [name, body] of Object.entries(outputsOf(f))) {
        if (typeof body.description !== 'string' || !body.description)
          problems.push(`${f.path}: output "${name}" has no description`);
        const value = String(body.value);
        if (!/^\$\{try\([\s\S]*, null\)\}$/.test(value))
          problems.push(`${f.path}: output "${name}" is not try(…, null): ${value.slice(0, 60)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(ALL_MODULES)(
    'module %s names its main resource "this" (a composition module only calls modules)',
    async (m) => {
      const main = await parseFile(`modules/${m}/main.tf`);
      const names = blocksOf(main).map(([, name]) => name);
      if (names.length === 0) expect(Object.keys(main.json.module ?? {}).length).toBeGreaterThan(3);
      else expect(names).toContain('this');
    },
  );

  it.each(ALL_MODULES)('module %s requires Terraform >= 1.11 and a minimum AWS provider 6.x', async (m) => {
    const versions = await parseFile(`modules/${m}/versions.tf`);
    const terraform = child(versions.json as never, 'terraform');
    expect(terraform?.required_version).toMatch(/>= 1\.1[1-9]/);
    const providers = child(terraform, 'required_providers') as Record<
      string,
      { source: string; version: string }
    >;
    expect(providers.aws).toEqual({
      source: 'hashicorp/aws',
      version: expect.stringMatching(/^>= 6\.\d+$/),
    });
  });

  describe.each(ENVIRONMENTS)('environment %s', (env) => {
    it('stores state in S3 with the native lock file, encrypted, under its own key', async () => {
      const versions = await parseFile(`environments/${env}/versions.tf`);
      const terraform = child(versions.json as never, 'terraform');
      const backend = (terraform?.backend as Record<string, Record<string, unknown>[]>).s3[0];
      expect(backend).toMatchObject({ use_lockfile: true, encrypt: true, key: `${env}/terraform.tfstate` });
      expect(backend).not.toHaveProperty('dynamodb_table');
    });

    it('pins the AWS provider to 6.x, sets required_version and default tags', async () => {
      const versions = await parseFile(`environments/${env}/versions.tf`);
      const terraform = child(versions.json as never, 'terraform');
      expect(terraform?.required_version).toMatch(/>= 1\.1[1-9]/);
      const providers = child(terraform, 'required_providers') as Record<string, { version: string }>;
      expect(providers.aws.version).toMatch(/^~> 6\.\d+$/);
      const aws = (versions.json.provider as Record<string, Record<string, unknown>[]>).aws[0];
      const tags =
        child(child(aws, 'default_tags'), 'tags') ??
        (child(aws, 'default_tags')?.tags as Record<string, string>);
      expect(tags).toMatchObject({ Project: 'shipgate', ManagedBy: 'terraform' });
    });

    it('is a backend, a provider and one call of modules/environment with its terraform.tfvars', async () => {
      const main = await parseFile(`environments/${env}/main.tf`);
      const modules = main.json.module as Record<string, Record<string, unknown>[]>;
      expect(Object.keys(modules)).toEqual(['environment']);
      expect(modules.environment[0]).toEqual({
        source: '../../modules/environment',
        environment: '${var.environment}',
      });
      const files = listFiles(['.tf'], join(TERRAFORM_DIR, 'environments', env));
      expect(files).toEqual(
        ['main.tf', 'outputs.tf', 'variables.tf', 'versions.tf'].map((f) => `environments/${env}/${f}`),
      );
      for (const f of files) {
        const tf = await parseFile(f);
        expect({ f, resources: tf.json.resource, data: tf.json.data, locals: tf.json.locals }).toEqual({ f });
      }
    });

    it('fits on one screen (at most 60 lines of code in all its .tf files)', () => {
      const lines = listFiles(['.tf'], join(TERRAFORM_DIR, 'environments', env))
        .flatMap((f) => readFileSync(join(TERRAFORM_DIR, f), 'utf8').split('\n'))
        .filter((l) => l.trim() && !l.trim().startsWith('#'));
      expect(lines.length).toBeLessThanOrEqual(60);
    });
  });

  it('composes every module an environment needs in modules/environment', async () => {
    const main = await parseFile('modules/environment/main.tf');
    const sources = Object.values(main.json.module as Record<string, { source: string }[]>).map(
      (m) => m[0].source,
    );
    for (const m of REQUIRED_MODULES.filter((m) => !['ecr', 'gitlab-oidc', 'environment'].includes(m))) {
      expect(sources).toContain(`../${m}`);
    }
  });

  it('keeps the environments identical except for terraform.tfvars and the backend key', () => {
    const [first, ...rest] = ENVIRONMENTS;
    expect(rest.length).toBeGreaterThan(0);
    for (const f of ['main.tf', 'variables.tf', 'outputs.tf']) {
      const a = readFileSync(join(TERRAFORM_DIR, 'environments', first, f), 'utf8');
      for (const env of rest)
        expect(readFileSync(join(TERRAFORM_DIR, 'environments', env, f), 'utf8')).toBe(a);
    }
    const norm = (env: string) =>
      readFileSync(join(TERRAFORM_DIR, 'environments', env, 'versions.tf'), 'utf8').replace(
        `"${env}/terraform.tfstate"`,
        'KEY',
      );
    for (const env of rest) expect(norm(env)).toBe(norm(first));
  });

  it("writes the environment tests once and runs them with every environment's terraform.tfvars", () => {
    expect(listFiles(['.hcl'], join(TERRAFORM_DIR, 'environments'))).toEqual([]);
    expect(listFiles(['.tftest.hcl'], join(TERRAFORM_DIR, 'modules', 'environment'))).toEqual([
      'modules/environment/tests/environment.tftest.hcl',
    ]);
    // The infra pipeline runs them per environment (modules/environment reads its variables from a var file).
    const ci = readFileSync(join(TERRAFORM_DIR, '.gitlab-ci.yml'), 'utf8');
    expect(ci).toContain('for vars in environments/*/terraform.tfvars');
    expect(ci).toContain('terraform -chdir="$dir" test -var-file="$CI_PROJECT_DIR/$vars"');
  });

  it('locks every remote state with the S3 native lock file, never a DynamoDB table', async () => {
    // global and the environments keep their state in the bootstrap bucket; bootstrap starts local.
    const roots = ['global', ...ENVIRONMENTS.map((e) => `environments/${e}`)];
    for (const root of roots) {
      const versions = await parseFile(`${root}/versions.tf`);
      const backend = child(versions.json as never, 'terraform')?.backend as
        Record<string, Record<string, unknown>[]> | undefined;
      expect({ root, backends: Object.keys(backend ?? {}) }).toEqual({ root, backends: ['s3'] });
      expect(backend!.s3[0]).toMatchObject({
        use_lockfile: true,
        encrypt: true,
        key: `${root.replace(/^environments\//, '')}/terraform.tfstate`,
      });
    }
    const bootstrap = await parseFile('bootstrap/versions.tf');
    expect(child(bootstrap.json as never, 'terraform')).not.toHaveProperty('backend');
    const files = await parseAll();
    expect(files.filter((f) => /dynamodb_table|aws_dynamodb_table/.test(f.text)).map((f) => f.path)).toEqual(
      [],
    );
  });

  it('stores the bootstrap state bucket versioned, encrypted, private and TLS-only', async () => {
    const main = await parseFile('bootstrap/main.tf');
    const types = blocksOf(main).map(([t]) => t);
    expect(types).toEqual(
      expect.arrayContaining([
        'aws_s3_bucket_versioning',
        'aws_s3_bucket_server_side_encryption_configuration',
        'aws_s3_bucket_public_access_block',
        'aws_s3_bucket_policy',
      ]),
    );
    const pab = blocksOf(main).find(([t]) => t === 'aws_s3_bucket_public_access_block')![2];
    expect(pab).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    const versioning = blocksOf(main).find(([t]) => t === 'aws_s3_bucket_versioning')![2];
    expect(child(versioning, 'versioning_configuration')).toEqual({ status: 'Enabled' });
    const policy = blocksOf(main, 'data').find(([, n]) => n === 'state_bucket')![2];
    const statements = policy.statement as Record<string, unknown>[];
    const tls = statements.find(
      (s) => s.effect === 'Deny' && JSON.stringify(s).includes('aws:SecureTransport'),
    );
    expect(tls).toBeDefined();
    expect(child(tls, 'condition')).toMatchObject({ test: 'Bool', values: ['false'] });
  });

  (terraformAvailable('`terraform fmt -check`') ? it : it.skip)('is `terraform fmt` clean', () => {
    // Throws (and shows the files) when any file would be reformatted.
    const out = execFileSync('terraform', ['fmt', '-check', '-recursive', '-list=true', TERRAFORM_DIR], {
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('');
  });

  it('lists no Terraform working files or state in the repository tree', () => {
    expect(listFiles(['.tfstate', '.tfstate.backup', '.tfplan'])).toEqual([]);
  });
});
