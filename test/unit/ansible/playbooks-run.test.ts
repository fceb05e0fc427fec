import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANSIBLE_DIR, toolsAvailable } from './ansible-tree';

/**
 * Runs the real playbooks with Debian's ansible: push_repos end to end against local bare repositories
 * (twice: the second run must change nothing), and the Jinja that builds the webhook URL and the instance
 * settings, rendered by Ansible itself.
 */
const run = toolsAvailable(['ansible-playbook', 'rsync', 'git'], 'test/unit/ansible/playbooks-run.test.ts')
  ? describe
  : describe.skip;

// Each ansible-playbook run takes a few seconds on an idle machine; a shared CI box can be much slower.
jest.setTimeout(300_000);

interface PlayResult {
  stdout: string;
  recap: { ok: number; changed: number; failed: number };
}

function playbook(args: string[], env: NodeJS.ProcessEnv = {}): PlayResult {
  const res = spawnSync('ansible-playbook', args, {
    cwd: ANSIBLE_DIR,
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', ...env },
    timeout: 120_000,
  });
  const stdout = `${res.stdout}\n${res.stderr}`;
  const m = /ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)/.exec(stdout);
  if (res.status !== 0 || !m) throw new Error(`ansible-playbook ${args.join(' ')} failed:\n${stdout}`);
  return { stdout, recap: { ok: Number(m[1]), changed: Number(m[2]), failed: Number(m[3]) } };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

run('push_repos against local bare repositories', () => {
  let root: string;
  let extraVars: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'shipgate-push-repos-'));
    // A small source tree shaped like the Shipgate repository: one service, shared helpers, Terraform.
    const files: Record<string, string> = {
      'src/services/api-gateway/.gitlab-ci.yml': 'stages: [test]\n',
      'src/services/api-gateway/index.ts': 'export const gateway = 1;\n',
      'src/services/api-gateway/node_modules/dep/index.js': 'never pushed\n',
      'src/services/test-support/index.ts': 'export const helper = 1;\n',
      'src/terraform/main.tf': 'terraform {}\n',
      'src/terraform/terraform.tfstate': '{"never":"pushed"}\n',
    };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    for (const project of ['api-gateway', 'infra']) {
      mkdirSync(join(root, 'remote/root'), { recursive: true });
      git(join(root, 'remote/root'), 'init', '--quiet', '--bare', `${project}.git`);
    }
    extraVars = JSON.stringify({
      push_repos_source_root: join(root, 'src'),
      push_repos_staging_dir: join(root, 'staging'),
      push_repos_gitlab_url: `file://${join(root, 'remote')}`,
      push_repos_token: 'fake-token-for-a-local-test',
      push_repos_projects: [
        {
          project: 'api-gateway',
          source: 'services/api-gateway',
          extra: [{ source: 'services/test-support', dest: 'test-support' }],
        },
        { project: 'infra', source: 'terraform', extra: [] },
      ],
    });
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const push = () => playbook(['-i', 'localhost,', 'push_repos.yml', '-e', extraVars]);
  const tree = (project: string) =>
    git(join(root, 'remote/root', `${project}.git`), 'ls-tree', '-r', '--name-only', 'main').split('\n');

  it('pushes each project with its shared directories and without dependencies or state', () => {
    const first = push();
    expect(first.recap.changed).toBeGreaterThan(0);
    // no_log keeps the token (and the Basic auth header built from it) out of Ansible's output.
    expect(first.stdout).not.toContain('fake-token');
    expect(first.stdout).not.toContain(Buffer.from('root:fake-token-for-a-local-test').toString('base64'));
    expect(tree('api-gateway')).toEqual(['.gitlab-ci.yml', 'index.ts', 'test-support/index.ts']);
    expect(tree('infra')).toEqual(['main.tf']);
  });

  it('changes nothing on a second run', () => {
    const second = push();
    expect(second.recap).toMatchObject({ changed: 0, failed: 0 });
  });

  it('pushes one new commit when a source changes, and deletions propagate', () => {
    writeFileSync(join(root, 'src/services/api-gateway/index.ts'), 'export const gateway = 2;\n');
    rmSync(join(root, 'src/services/test-support/index.ts'));
    writeFileSync(join(root, 'src/services/test-support/helpers.ts'), 'export const helper = 2;\n');
    const before = git(join(root, 'remote/root/api-gateway.git'), 'rev-list', '--count', 'main');
    expect(push().recap.changed).toBeGreaterThan(0);
    const remote = join(root, 'remote/root/api-gateway.git');
    expect(Number(git(remote, 'rev-list', '--count', 'main'))).toBe(Number(before) + 1);
    expect(git(remote, 'show', 'main:index.ts')).toBe('export const gateway = 2;');
    expect(tree('api-gateway')).toEqual(['.gitlab-ci.yml', 'index.ts', 'test-support/helpers.ts']);
    expect(tree('infra')).toEqual(['main.tf']);
  });

  it('builds on GitLab history when the staging directory was lost (no rewrite, no push)', () => {
    const remote = join(root, 'remote/root/api-gateway.git');
    const head = git(remote, 'rev-parse', 'main');
    rmSync(join(root, 'staging'), { recursive: true, force: true });
    const result = push();
    expect(result.stdout).not.toMatch(/TASK \[push_repos : Push the projects[^\n]*\n(changed|fatal)/);
    expect(git(remote, 'rev-parse', 'main')).toBe(head);
    expect(push().recap.changed).toBe(0);
  });

  it('never writes the token into the staging repositories', () => {
    const configs = ['api-gateway', 'infra'].map((p) =>
      readFileSync(join(root, 'staging', p, '.git/config'), 'utf8'),
    );
    for (const config of configs) expect(config).not.toContain('fake-token');
  });
});

run('templated values, rendered by Ansible', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shipgate-ansible-render-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Renders expressions with a role's defaults and vars loaded the way the role loads them. */
  function render(role: string, expressions: Record<string, string>, extra: Record<string, unknown> = {}) {
    const out = join(dir, `${role}.json`);
    const play = [
      {
        hosts: 'localhost',
        gather_facts: false,
        tasks: [
          { 'ansible.builtin.include_vars': { file: join(ANSIBLE_DIR, 'roles', role, 'defaults/main.yml') } },
          { 'ansible.builtin.include_vars': { file: join(ANSIBLE_DIR, 'roles', role, 'vars/main.yml') } },
          {
            'ansible.builtin.copy': {
              dest: out,
              mode: '0600',
              content: `{{ ${JSON.stringify(expressions).replace(/"\{\{ (.*?) \}\}"/g, '($1)')} | to_json }}`,
            },
          },
        ],
      },
    ];
    const file = join(dir, `${role}.yml`);
    writeFileSync(file, JSON.stringify(play));
    playbook(['-i', 'localhost,', '-c', 'local', file, '-e', JSON.stringify(extra)]);
    return JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
  }

  it("builds the webhook URL from the Shipgate URL (trailing slashes or not) and Shipgate's path", () => {
    for (const url of ['http://192.168.56.1:3000', 'https://abc.execute-api.eu-west-1.amazonaws.com/']) {
      const out = render(
        'gitlab_config',
        {
          url: '{{ gitlab_config_webhook_url }}',
          tls: "{{ gitlab_config_webhook_url is match('^https://') }}",
        },
        { gitlab_config_shipgate_url: url },
      );
      expect(out.url).toBe(`${url.replace(/\/$/, '')}/webhooks/gitlab`);
      expect(out.tls).toBe(url.startsWith('https://'));
    }
  });

  it('turns the documented defaults into the instance settings GitLab is given', () => {
    const out = render(
      'gitlab',
      { settings: '{{ gitlab_application_settings }}' },
      { gitlab_max_artifacts_size: 250 },
    );
    expect(out.settings).toEqual({
      signup_enabled: false,
      require_admin_approval_after_user_signup: true,
      default_project_visibility: 'private',
      default_branch_name: 'main',
      default_artifacts_expire_in: '30 days',
      max_artifacts_size: '250',
      allow_local_requests_from_web_hooks_and_services: true,
    });
  });
});
