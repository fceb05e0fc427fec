import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const SERVICES_DIR = join(__dirname, '..', '..');
const SERVICES = ['api-gateway', 'inventory-app', 'billing-app'] as const;
const read = (...p: string[]) => readFileSync(join(SERVICES_DIR, ...p), 'utf8');

/** Dockerfile instructions with line continuations joined, comments dropped. */
function instructions(dockerfile: string): { op: string; args: string }[] {
  return dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of the last stage (what the image runs). */
function finalStage(dockerfile: string) {
  const all = instructions(dockerfile);
  const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
  return all.slice(lastFrom);
}

type Job = Record<string, unknown> & {
  stage?: string;
  script?: string[] | string;
  rules?: { if?: string }[];
  id_tokens?: Record<string, { aud?: string | string[] }>;
  artifacts?: { paths?: string[]; reports?: Record<string, unknown> };
  services?: (string | { name: string })[];
  image?: string | { name: string };
};

const scriptOf = (job: Job) => (Array.isArray(job.script) ? job.script.join('\n') : String(job.script ?? ''));
const imageOf = (job: Job) => (typeof job.image === 'string' ? job.image : (job.image?.name ?? ''));

/** The shared packages (`@shipgate/<dir>`, a directory of services/) that a service's `src` or `test` imports. */
function sharedImports(service: string, dir: 'src' | 'test'): string[] {
  const root = join(SERVICES_DIR, service, dir);
  const found = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) =>
      [...readFileSync(join(root, f), 'utf8').matchAll(/from '@shipgate\/([\w-]+)'/g)].map((m) => m[1]),
    );
  return [...new Set(found)].sort();
}

describe.each(SERVICES)('%s packaging', (service) => {
  describe('Dockerfile', () => {
    // One Dockerfile for the three services, in the kit pushed next to each (kaniko --dockerfile kit/Dockerfile).
    const dockerfile = read('kit', 'Dockerfile');
    const froms = instructions(dockerfile).filter((i) => i.op === 'FROM');

    it('is multi-stage and every stage starts from a Node slim base pinned by full version and digest', () => {
      expect(froms.length).toBeGreaterThanOrEqual(2);
      for (const from of froms) {
        expect(from.args).toMatch(/^node:\d+\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64}( AS \w+)?$/);
      }
      expect(dockerfile).not.toMatch(/:latest\b/);
    });

    it('installs only production dependencies in the image it runs', () => {
      const runs = finalStage(dockerfile).filter((i) => i.op === 'RUN');
      expect(runs.some((r) => /npm ci\b.*--omit=dev/.test(r.args))).toBe(true);
      expect(runs.some((r) => /npm (ci|install)\b(?!.*--omit=dev)/.test(r.args))).toBe(false);
    });

    it('runs as a non-root user', () => {
      const users = finalStage(dockerfile).filter((i) => i.op === 'USER');
      expect(users.length).toBeGreaterThan(0);
      expect(users.at(-1)?.args).not.toMatch(/^(root|0)(:|$)/);
    });

    it('is the one the service builds with: none of its own, kaniko given kit/Dockerfile, the context filtered', () => {
      expect(existsSync(join(SERVICES_DIR, service, 'Dockerfile'))).toBe(false);
      const ci = read(service, '.gitlab-ci.yml');
      expect(ci).toContain('--dockerfile "$CI_PROJECT_DIR/kit/Dockerfile"');
      expect(ci).toContain('--context "$CI_PROJECT_DIR"');
      const ignored = read(service, '.dockerignore').split('\n');
      expect(ignored).toEqual(
        expect.arrayContaining(['node_modules', 'dist', 'test', '*/test', 'test-support']),
      );
    });

    it('compiles the shared packages pushed next to the service, then the service, and ships both', () => {
      const build = instructions(dockerfile).slice(
        0,
        instructions(dockerfile).length - finalStage(dockerfile).length,
      );
      const run = build.findIndex(
        (i) => i.op === 'RUN' && i.args.startsWith('sh kit/bin/build-shared.sh &&'),
      );
      expect(build[run].args).toMatch(/&& npm run build/);
      expect(run).toBeGreaterThan(build.findIndex((i) => i.op === 'COPY' && i.args === '. ./'));
      const copies = finalStage(dockerfile)
        .filter((i) => i.op === 'COPY')
        .map((i) => i.args);
      expect(copies).toEqual(
        expect.arrayContaining([
          '--from=build /app/dist ./dist',
          '--from=build /app/dist-shared ./node_modules/@shipgate',
          '--from=build /app/migrations ./migrations',
        ]),
      );
    });

    it('has a HEALTHCHECK that uses node (slim images have no curl) against the compiled probe', () => {
      const health = finalStage(dockerfile).filter((i) => i.op === 'HEALTHCHECK');
      expect(health).toHaveLength(1);
      expect(health[0].args).toMatch(/CMD \["node", "dist\/healthcheck\.js"\]/);
      expect(existsSync(join(SERVICES_DIR, service, 'src', 'healthcheck.ts'))).toBe(true);
    });
  });

  describe('.gitlab-ci.yml', () => {
    const ci = parse(read(service, '.gitlab-ci.yml')) as Record<string, unknown> & { stages: string[] };
    const jobs = Object.entries(ci).filter(
      ([name, v]) =>
        !name.startsWith('.') &&
        typeof v === 'object' &&
        v !== null &&
        !Array.isArray(v) &&
        !['workflow', 'variables', 'default', 'include', 'stages'].includes(name),
    ) as [string, Job][];
    const job = (name: string) => jobs.find(([n]) => n === name)?.[1] as Job;

    it('parses and runs install → test → scan → build → image-scan → push, with nothing after the push', () => {
      expect(ci.stages).toEqual(['install', 'test', 'scan', 'build', 'image-scan', 'push']);
      const text = read(service, '.gitlab-ci.yml');
      expect(ci.stages.some((s) => /deploy|release|rollout/i.test(s))).toBe(false);
      expect(jobs.some(([n, j]) => /deploy/i.test(n) || /deploy/i.test(j.stage ?? ''))).toBe(false);
      expect(text).not.toMatch(/ecs update-service|environment:\s/);
    });

    it('tests against PostgreSQL / RabbitMQ as CI services', () => {
      const test = job('test');
      const names = (test.services ?? []).map((s) => (typeof s === 'string' ? s : s.name));
      if (service !== 'api-gateway') expect(names.some((n) => n.startsWith('postgres:'))).toBe(true);
      if (service !== 'inventory-app') expect(names.some((n) => n.startsWith('rabbitmq:'))).toBe(true);
      expect(scriptOf(test)).toMatch(/npx jest/);
    });

    it("installs the test toolchain at exactly the versions the repository's own test run uses", () => {
      // The CI job runs the same test files with `npm install $TEST_TOOLCHAIN`; a drift (e.g. jest 30 in CI,
      // jest 29 here) would test the service with a runner nobody ran locally.
      const toolchain = String((ci.variables as Record<string, unknown>).TEST_TOOLCHAIN).split(/\s+/);
      expect(toolchain.length).toBeGreaterThan(3);
      expect(scriptOf(job('test'))).toContain('$TEST_TOOLCHAIN');
      const pinned = (file: string) => {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
        return { ...pkg.dependencies, ...pkg.devDependencies };
      };
      const versions = {
        ...pinned(join(SERVICES_DIR, 'test-support', 'package.json')),
        ...pinned(join(SERVICES_DIR, '..', 'package.json')),
      };
      for (const spec of toolchain) {
        const at = spec.lastIndexOf('@');
        const name = spec.slice(0, at);
        expect({ name, version: spec.slice(at + 1) }).toEqual({ name, version: versions[name] });
      }
    });

    it('builds the shared packages before the service, and links what the tests import after the toolchain install', () => {
      const install = scriptOf(job('install')).split('\n');
      const build = install.indexOf('sh kit/bin/build-shared.sh');
      expect(build).toBeGreaterThan(install.indexOf('npm ci --no-audit --no-fund'));
      expect(build).toBeLessThan(install.indexOf('npm run build'));
      const test = scriptOf(job('test')).split('\n');
      const link = test.findIndex((l) => l.includes('node_modules/@shipgate/$p'));
      expect(link).toBeGreaterThan(test.findIndex((l) => l.includes('$TEST_TOOLCHAIN')));
      const linked = /^for p in ([\w -]+); do/.exec(test[link])?.[1].split(' ') ?? [];
      const imported = new Set([...sharedImports(service, 'src'), ...sharedImports(service, 'test')]);
      expect(linked.sort()).toEqual([...imported].sort());
    });

    it('runs SAST (GitLab template, gl-sast-report.json) and a dependency audit', () => {
      expect(ci.include).toEqual(expect.arrayContaining([{ template: 'Jobs/SAST.gitlab-ci.yml' }]));
      expect(job('semgrep-sast').stage).toBe('scan');
      expect(scriptOf(job('dependency-audit'))).toMatch(/npm audit --omit=dev --audit-level=high/);
    });

    it('builds the image without a Docker daemon or socket', () => {
      const build = job('build-image');
      expect(imageOf(build)).toMatch(/kaniko-project\/executor:v\d+\.\d+\.\d+-debug/);
      expect(scriptOf(build)).toMatch(/--no-push/);
      expect(JSON.stringify(ci)).not.toMatch(/docker:dind|DOCKER_HOST|docker\.sock/);
    });

    it('has a Trivy job that fails on HIGH/CRITICAL and keeps trivy-report.json', () => {
      const trivy = job('trivy-scan');
      expect(imageOf(trivy)).toMatch(/^aquasec\/trivy:\d+\.\d+\.\d+$/);
      const script = scriptOf(trivy);
      expect(script).toMatch(/--severity HIGH,CRITICAL .*--exit-code 1/);
      expect(script).toMatch(/--output trivy-report\.json/);
      expect(trivy.artifacts?.paths).toContain('trivy-report.json');
    });

    it('pushes to ECR with the commit SHA using GitLab OIDC, only from the protected default branch or tags', () => {
      const push = job('push-ecr');
      expect(push.stage).toBe('push');
      expect(push.id_tokens?.AWS_ID_TOKEN?.aud).toBe('sts.amazonaws.com');
      const script = scriptOf(push);
      expect(script).toMatch(/aws sts assume-role-with-web-identity/);
      expect(script).toMatch(/--role-arn "\$AWS_ROLE_ARN"/);
      expect(script).toMatch(/--web-identity-token "\$AWS_ID_TOKEN"/);
      expect(script).toMatch(/:\$CI_COMMIT_SHA"/);
      expect(script).not.toMatch(/AWS_SECRET_ACCESS_KEY=|AKIA[0-9A-Z]{16}/);
      expect(push.rules?.map((r) => r.if)).toEqual([
        '$CI_COMMIT_TAG && $CI_COMMIT_REF_PROTECTED == "true"',
        '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_COMMIT_REF_PROTECTED == "true"',
      ]);
      // Pushes exactly the tarball Trivy scanned.
      expect(push.needs).toEqual(['build-image', 'trivy-scan']);
    });
  });

  it('has a standalone lockfile in sync with its package.json (the Docker build runs npm ci in the service dir)', () => {
    const pkg = JSON.parse(read(service, 'package.json')) as Record<string, Record<string, string>>;
    const lock = JSON.parse(read(service, 'package-lock.json')) as {
      packages: Record<
        string,
        { dependencies?: Record<string, string>; devDependencies?: Record<string, string> }
      >;
    };
    expect(lock.packages[''].dependencies).toEqual(pkg.dependencies);
    expect(lock.packages[''].devDependencies).toEqual(pkg.devDependencies);
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      expect(`${name}@${(lock.packages[`node_modules/${name}`] as { version?: string })?.version}`).toBe(
        `${name}@${version}`,
      );
    }
  });
});

describe('code shared between the standalone services', () => {
  // Each service is its own GitLab project. What they share is not copied: it lives once in services/kit
  // (runtime) and services/billing-contract (the gateway -> billing message), travels with each service
  // (ansible's push_repos) and is imported as @shipgate/<dir>.
  it.each(SERVICES)('%s keeps no copy of the shared runtime (no src/lib)', (service) => {
    expect(existsSync(join(SERVICES_DIR, service, 'src', 'lib'))).toBe(false);
    expect(sharedImports(service, 'src')).toContain('kit');
  });

  it.each(['order.ts', 'topology.ts'])(
    'the billing message contract %s is defined once, in billing-contract, and imported by producer and consumer',
    (file) => {
      expect(existsSync(join(SERVICES_DIR, 'billing-contract', 'src', file))).toBe(true);
      for (const service of SERVICES)
        expect(existsSync(join(SERVICES_DIR, service, 'src', file))).toBe(false);
      expect(sharedImports('api-gateway', 'src')).toContain('billing-contract');
      expect(sharedImports('billing-app', 'src')).toContain('billing-contract');
    },
  );
});
