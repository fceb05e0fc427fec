import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WEBHOOK_PATH } from '../../../lambdas/domain/gitlab/hooks';
import {
  ANSIBLE_DIR,
  read,
  readYaml,
  REPO_ROOT,
  roleTasks,
  roleVars,
  toolsAvailable,
  walk,
  type Task,
} from './ansible-tree';

interface ConfigProject {
  name: string;
  shipgate: boolean;
  variables: Record<string, string>;
}

const configDefaults = roleVars('gitlab_config', 'defaults');
const configVars = roleVars('gitlab_config', 'vars');
const projects = configDefaults.gitlab_config_projects as ConfigProject[];

function task(role: string, name: string): Task {
  const found = roleTasks(role).find(({ task: t }) => t.name === name);
  if (!found) throw new Error(`role ${role} has no task named "${name}"`);
  return found.task;
}

describe('no secrets in ansible/ or the Vagrantfile', () => {
  // Committed files only: vault.yml is git-ignored and must never be tracked.
  const tracked = execFileSync('git', ['ls-files', 'ansible', 'Vagrantfile'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  const files = [...new Set([...tracked, ...walk(ANSIBLE_DIR), 'Vagrantfile'])].filter((f) =>
    existsSync(join(REPO_ROOT, f)),
  );

  const patterns: [string, RegExp][] = [
    ['AWS access key id', /\b(AKIA|ASIA)[A-Z0-9]{16}\b/],
    [
      'AWS secret key assignment',
      /aws_secret_access_key|AWS_SECRET_ACCESS_KEY|aws_access_key_id|AWS_ACCESS_KEY_ID/,
    ],
    ['GitLab personal access token', /glpat-[A-Za-z0-9_-]{20}/],
    ['GitLab runner token', /glrt-[A-Za-z0-9_-]{8,}/],
    ['GitLab registration token', /GR1348941[A-Za-z0-9_-]{10,}/],
    ['webhook signing key', /whsec_[A-Za-z0-9+/=]{16,}/],
    ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
    ['unencrypted vault variable with a value', /^vault_\w+:\s*"?(?!<)[^"\s<][^"]*"?\s*$/m],
  ];

  it('scans a non-trivial set of files', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(files).not.toContain('ansible/group_vars/all/vault.yml');
  });

  it.each(patterns)('contains no %s', (_label, pattern) => {
    const hits = files.filter((f) => pattern.test(read(f)));
    expect(hits).toEqual([]);
  });

  it('gives every secret input an empty default (values come from ansible-vault or -e only)', () => {
    const secrets = Object.entries({
      ...roleVars('gitlab', 'defaults'),
      ...roleVars('gitlab_runner', 'defaults'),
      ...configDefaults,
      ...roleVars('push_repos', 'defaults'),
    }).filter(([k, v]) => /(_token|_password)$/.test(k) && typeof v !== 'boolean');
    expect(secrets.map(([k]) => k)).toEqual(
      expect.arrayContaining([
        'gitlab_api_token',
        'gitlab_runner_shell_token',
        'gitlab_config_shipgate_webhook_token',
      ]),
    );
    for (const [, value] of secrets) expect(value).toBe('');
  });

  it('reads runner tokens from the environment, not from the vault', () => {
    const groupVars = readYaml<Record<string, string>>('ansible/group_vars/all/main.yml');
    expect(groupVars.gitlab_runner_shell_token).toContain("'SHIPGATE_RUNNER_SHELL_TOKEN'");
    expect(groupVars.gitlab_runner_docker_token).toContain("'SHIPGATE_RUNNER_DOCKER_TOKEN'");
    expect(read('ansible/group_vars/all/vault.yml.example')).not.toMatch(/^vault_\w*runner/m);
  });
});

describe('the Shipgate webhook', () => {
  const hook = task('gitlab_config', "Point the released projects' webhook at Shipgate");
  const args = hook['community.general.gitlab_hook'] as Record<string, unknown>;

  it("points at the configured Shipgate URL plus Shipgate's webhook path", () => {
    expect(args.hook_url).toBe('{{ gitlab_config_webhook_url }}');
    expect(configVars.gitlab_config_webhook_path).toBe(WEBHOOK_PATH);
    expect(configVars.gitlab_config_webhook_url).toMatch(/^\{\{ gitlab_config_shipgate_url \| regex_replace/);
    expect(configVars.gitlab_config_webhook_url).toContain('gitlab_config_webhook_path');
  });

  it('sends the token from a variable, never a literal', () => {
    expect(String(args.token)).toMatch(/^\{\{ gitlab_config_shipgate_webhook_token\b/);
    expect(hook.no_log).toBe(true);
  });

  it('subscribes to pipeline, push and tag events and verifies TLS for https URLs', () => {
    expect(args).toMatchObject({ pipeline_events: true, push_events: true, tag_push_events: true });
    expect(args.hook_validate_certs).toBe("{{ gitlab_config_webhook_url is match('^https://') }}");
  });

  it('is wired from SHIPGATE_PUBLIC_URL and the vault in group_vars', () => {
    const groupVars = readYaml<Record<string, string>>('ansible/group_vars/all/main.yml');
    expect(groupVars.gitlab_config_shipgate_url).toContain("'SHIPGATE_PUBLIC_URL'");
    expect(groupVars.gitlab_config_shipgate_webhook_token).toContain('vault_shipgate_webhook_token');
  });

  it('goes on exactly the projects Shipgate releases (shipgate.config.yaml)', () => {
    const config = readYaml<{ projects: { path: string }[] }>('shipgate.config.yaml');
    const namespace = configDefaults.gitlab_config_namespace as string;
    const hooked = projects.filter((p) => p.shipgate).map((p) => `${namespace}/${p.name}`);
    expect(hooked.sort()).toEqual(config.projects.map((p) => p.path).sort());
  });
});

describe('projects, pipelines and pushed sources agree', () => {
  const pushProjects = roleVars('push_repos', 'defaults').push_repos_projects as {
    project: string;
    source: string;
    extra: { source: string; dest: string }[];
  }[];

  it('pushes every configured project from a directory that exists and has a .gitlab-ci.yml', () => {
    expect(pushProjects.map((p) => p.project).sort()).toEqual(projects.map((p) => p.name).sort());
    for (const p of pushProjects) {
      expect(existsSync(join(REPO_ROOT, p.source, '.gitlab-ci.yml'))).toBe(true);
      for (const e of p.extra) expect(existsSync(join(REPO_ROOT, e.source))).toBe(true);
    }
  });

  it('pushes with each service every shared package (services/<dir>, imported as @shipgate/<dir>) it imports', () => {
    const services = pushProjects.filter((p) => p.source.startsWith('services/'));
    expect(services).toHaveLength(3);
    for (const p of services) {
      const imported = new Set<string>();
      for (const dir of ['src', 'test']) {
        for (const file of walk(join(REPO_ROOT, p.source, dir)).filter((f) => f.endsWith('.ts'))) {
          for (const m of read(file).matchAll(/from '@shipgate\/([\w-]+)'/g)) imported.add(m[1]);
        }
      }
      expect([...imported]).toEqual(expect.arrayContaining(['kit', 'test-support']));
      const expected = [...imported].sort().map((dir) => ({ source: `services/${dir}`, dest: dir }));
      expect({
        project: p.project,
        extra: [...p.extra].sort((a, b) => a.dest.localeCompare(b.dest)),
      }).toEqual({
        project: p.project,
        extra: expected,
      });
    }
  });

  it('sets every CI/CD variable the pipelines say they need, and no AWS keys', () => {
    for (const p of pushProjects) {
      const ci = read(join(p.source, '.gitlab-ci.yml'));
      const header = ci.slice(0, ci.indexOf('\n---') > 0 ? ci.indexOf('\n---') : 3000);
      const project = projects.find((x) => x.name === p.project)!;
      // The pipelines document their variables in the header comment ("#   AWS_ROLE_ARN  ...").
      const documented = [...header.matchAll(/^#\s+([A-Z][A-Z0-9_]+)\s{2,}/gm)].map((m) => m[1]);
      const required = documented.filter((v) => !/optional/i.test(header.split(v)[1]?.split('\n')[0] ?? ''));
      expect(required.length).toBeGreaterThan(1);
      expect(Object.keys(project.variables).sort()).toEqual(expect.arrayContaining(required.sort()));
      expect(Object.keys(project.variables).filter((k) => /SECRET|ACCESS_KEY/.test(k))).toEqual([]);
    }
  });

  it("the services' pipelines use OIDC id_tokens and stop after the image push (no deploy stage)", () => {
    for (const p of pushProjects.filter((x) => x.source.startsWith('services/'))) {
      const ci = readYaml<Record<string, unknown> & { stages?: string[] }>(join(p.source, '.gitlab-ci.yml'));
      expect(JSON.stringify(ci)).toContain('"id_tokens"');
      expect((ci.stages ?? []).filter((s) => /deploy/i.test(s))).toEqual([]);
    }
  });

  (toolsAvailable(['yamllint'], 'test/unit/ansible/wiring.test.ts') ? it : it.skip)(
    'pushes pipelines that are yamllint clean (the repository .yamllint, strict)',
    () => {
      const files = pushProjects.map((p) => join(p.source, '.gitlab-ci.yml'));
      // Throws with yamllint's report when any file has an error or a warning.
      execFileSync('yamllint', ['-s', '-f', 'parsable', ...files], { cwd: REPO_ROOT, encoding: 'utf8' });
      expect(files).toHaveLength(pushProjects.length);
    },
  );

  it('routes the Terraform jobs to the shell runner by its tag', () => {
    const ci = readYaml<Record<string, { tags?: string[] }>>('terraform/.gitlab-ci.yml');
    const tags = new Set(
      Object.values(ci).flatMap((job) => (job && typeof job === 'object' ? (job.tags ?? []) : [])),
    );
    expect([...tags]).toEqual(['terraform']);
    const runners = roleVars('gitlab_runner', 'vars').gitlab_runner_runners as { hint: string }[];
    expect(runners[0].hint).toContain('terraform');
  });

  it('protects main for maintainers only', () => {
    const protect = task(
      'gitlab_config',
      'Protect the main branch (maintainers push and merge, no force push)',
    );
    expect(protect['community.general.gitlab_protected_branch']).toMatchObject({
      name: '{{ gitlab_config_protected_branch }}',
      push_access_level: 'maintainer',
      merge_access_levels: 'maintainer',
    });
    expect(configDefaults.gitlab_config_protected_branch).toBe('main');
  });
});

describe('Vagrantfile', () => {
  const vagrantfile = read('Vagrantfile');

  it('defines an Ubuntu LTS box with overridable memory, CPUs and IP', () => {
    expect(vagrantfile).toMatch(/config\.vm\.box = "bento\/ubuntu-24\.04"/);
    expect(vagrantfile).toContain('ENV.fetch("SHIPGATE_VM_MEMORY", "4096")');
    expect(vagrantfile).toContain('ENV.fetch("SHIPGATE_VM_CPUS", "2")');
    expect(vagrantfile).toContain('ENV.fetch("SHIPGATE_VM_IP", "192.168.56.11")');
    expect(vagrantfile).toMatch(/private_network", ip: vm_ip/);
  });

  it('provisions with the site playbook, its config and the pinned collections', () => {
    expect(vagrantfile).toContain('ansible.playbook = "ansible/site.yml"');
    expect(vagrantfile).toContain('ansible.config_file = "ansible/ansible.cfg"');
    expect(vagrantfile).toContain('ansible.galaxy_role_file = "ansible/requirements.yml"');
    // push_repos runs on the host: a limit of just the VM would skip it.
    expect(vagrantfile).toContain('ansible.limit = "all,localhost"');
  });
});
