import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ANSIBLE_DIR,
  moduleOf,
  read,
  readYaml,
  REPO_ROOT,
  roleFiles,
  roleTasks,
  roleVars,
  ROLES,
  walk,
  type Task,
} from './ansible-tree';

const BARE_JINJA_KEYS = new Set(['when', 'changed_when', 'failed_when', 'until', 'that']);

/** The Jinja expressions inside a string ({{ ... }} and {% ... %}). */
function jinjaParts(text: string): string {
  return (text.match(/\{\{.*?\}\}|\{%.*?%\}/gs) ?? []).join('\n');
}

/** Every Jinja expression of a parsed YAML value (bare conditions included). */
function yamlExpressions(value: unknown, bare = false): string[] {
  if (typeof value === 'string') return [bare ? value : jinjaParts(value)];
  if (Array.isArray(value)) return value.flatMap((v) => yamlExpressions(v, bare));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => yamlExpressions(v, BARE_JINJA_KEYS.has(k)));
  }
  return [];
}

/** Variables with the role's prefix that the role's tasks, handlers, vars and templates use. */
function prefixedReferences(role: string): Map<string, string[]> {
  const prefix = new RegExp(`\\b${role}_[a-z0-9_]+\\b`, 'g');
  const refs = new Map<string, string[]>();
  const yamlFiles = [...roleFiles(role, 'tasks'), ...roleFiles(role, 'handlers'), ...roleFiles(role, 'vars')];
  const sources = [
    ...yamlFiles.map((file) => ({ file, text: yamlExpressions(readYaml(file)).join('\n') })),
    ...roleFiles(role, 'templates').map((file) => ({ file, text: jinjaParts(read(file)) })),
  ];
  for (const { file, text } of sources) {
    for (const name of text.match(prefix) ?? []) refs.set(name, [...(refs.get(name) ?? []), file]);
  }
  return refs;
}

/** Names a role defines at run time (register:, set_fact:). */
function runtimeNames(role: string): Set<string> {
  const names = new Set<string>();
  for (const { task } of roleTasks(role)) {
    if (typeof task.register === 'string') names.add(task.register);
    const facts = task['ansible.builtin.set_fact'];
    if (facts && typeof facts === 'object') Object.keys(facts).forEach((k) => names.add(k));
  }
  return names;
}

/** Whether a key of a defaults/vars file has a comment above it (alone or at the head of its block). */
function hasComment(text: string, key: string): boolean {
  const lines = text.split('\n');
  let i = lines.findIndex((line) => line.startsWith(`${key}:`));
  if (i < 0) return false;
  for (i -= 1; i >= 0 && lines[i].trim() !== ''; i -= 1) {
    if (lines[i].startsWith('#')) return true;
  }
  return false;
}

describe.each(ROLES)('role %s', (role) => {
  const defaults = roleVars(role, 'defaults');
  const vars = roleVars(role, 'vars');
  const defaultsText = read(`ansible/roles/${role}/defaults/main.yml`);
  const readme = read(`ansible/roles/${role}/README.md`);

  it('has the files of a well-kept role', () => {
    for (const file of ['defaults/main.yml', 'meta/main.yml', 'tasks/main.yml', 'README.md']) {
      expect(existsSync(join(ANSIBLE_DIR, 'roles', role, file))).toBe(true);
    }
    const meta = readYaml<{ galaxy_info: Record<string, unknown>; dependencies: unknown[] }>(
      `ansible/roles/${role}/meta/main.yml`,
    );
    expect(meta.galaxy_info.role_name).toBe(role);
    expect(meta.galaxy_info.description).toEqual(expect.any(String));
    expect(meta.dependencies).toEqual([]);
  });

  it('prefixes every default and internal variable with the role name', () => {
    const unprefixed = [...Object.keys(defaults), ...Object.keys(vars)].filter(
      (k) => !k.startsWith(`${role}_`),
    );
    expect(unprefixed).toEqual([]);
  });

  it('documents every default with a comment and in the README', () => {
    expect(Object.keys(defaults).length).toBeGreaterThan(3);
    const uncommented = Object.keys(defaults).filter((k) => !hasComment(defaultsText, k));
    const notInReadme = Object.keys(defaults).filter((k) => !readme.includes(`\`${k}\``));
    expect({ uncommented, notInReadme }).toEqual({ uncommented: [], notInReadme: [] });
  });

  it('uses only variables it defines (defaults, vars, registered results)', () => {
    const defined = new Set([...Object.keys(defaults), ...Object.keys(vars), ...runtimeNames(role)]);
    const refs = prefixedReferences(role);
    const undefinedRefs = [...refs.entries()]
      .filter(([name]) => !defined.has(name))
      .map(([name, files]) => `${name} (${[...new Set(files)].join(', ')})`);
    expect(undefinedRefs).toEqual([]);
    // ...and every default is actually used somewhere (no stale documentation).
    const unused = Object.keys(defaults).filter(
      (k) => !refs.has(k) && !Object.values(defaults).some((v) => JSON.stringify(v).includes(k)),
    );
    expect(unused).toEqual([]);
  });

  it('names every task as an imperative sentence and calls modules by their full name', () => {
    const tasks = roleTasks(role);
    expect(tasks.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const { file, task } of tasks) {
      const name = task.name ?? '';
      const first = name.split(' ')[0];
      if (!/^[A-Z][a-z]+$/.test(first) || /(ing|ed)$/.test(first) || /[^s]s$/.test(first)) {
        problems.push(`${file}: task name "${name}" does not start with an imperative verb`);
      }
      const module = moduleOf(task);
      if (!/^(ansible\.builtin|community\.general|ansible\.posix)\.[a-z_]+$/.test(module)) {
        problems.push(`${file}: "${name}" uses module "${module}" without its fully qualified name`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('hides every task that hands a secret to a module or command', () => {
    // Secrets: the role's token/password inputs, and internal variables built from them.
    const secretNames = Object.keys(defaults).filter((k) => /(_token|_passwords?)$/.test(k));
    for (const [key, value] of Object.entries({ ...defaults, ...vars })) {
      const expressions = jinjaParts(JSON.stringify(value));
      if (secretNames.some((s) => new RegExp(`\\b${s}\\b`).test(expressions))) secretNames.push(key);
    }
    expect(secretNames.length).toBeGreaterThan(0);
    const mentionsSecret = (value: unknown): boolean => {
      const text = JSON.stringify(value ?? null);
      return (
        secretNames.some((s) => new RegExp(`\\b${s}\\b`).test(text)) ||
        /\bitem(\.item|\.0\.item)?\.(token|password)\b/.test(text)
      );
    };
    const leaks = roleTasks(role)
      .filter(({ task }: { task: Task }) => {
        const module = moduleOf(task);
        // api_token of the community.general.gitlab_* modules is declared no_log by the modules themselves;
        // an assertion prints its expressions and message, never the values (unless it loops: see below).
        const { api_token: _apiToken, ...moduleArgs } = { ...(task[module] as Record<string, unknown>) };
        void _apiToken;
        // For an assertion only what its messages interpolate counts, and a length reveals nothing.
        const args =
          module === 'ansible.builtin.assert' && task.loop === undefined
            ? [moduleArgs.fail_msg, moduleArgs.success_msg]
                .flatMap((m) => String(m ?? '').match(/\{\{.*?\}\}/gs) ?? [])
                .filter((expr) => !/\|\s*length\s*\}\}$/.test(expr))
            : moduleArgs;
        // A loop's label hides items in the task header, but a failed item prints the whole item.
        const loopsOverSecrets = mentionsSecret(task.loop);
        return (mentionsSecret([args, task.environment]) || loopsOverSecrets) && task.no_log !== true;
      })
      .map(({ file, task }) => `${file}: ${task.name}`);
    expect(leaks).toEqual([]);
  });

  it('guards every command with creates, when or changed_when so a second run reports no change', () => {
    const unguarded = roleTasks(role)
      .filter(({ task }) => /\.(command|shell)$/.test(moduleOf(task)))
      .filter(({ task }) => {
        const args = task[moduleOf(task)] as Record<string, unknown>;
        return !args.creates && task.changed_when === undefined;
      })
      .map(({ file, task }) => `${file}: ${task.name}`);
    expect(unguarded).toEqual([]);
  });
});

describe('playbooks and wiring', () => {
  const playbooks = ['gitlab.yml', 'runners.yml', 'gitlab_config.yml', 'push_repos.yml'];

  it('site.yml imports every step playbook in order, each running its role', () => {
    const site = readYaml<{ 'ansible.builtin.import_playbook': string }[]>('ansible/site.yml');
    expect(site.map((p) => p['ansible.builtin.import_playbook'])).toEqual(playbooks);
    const rolesRun = playbooks.flatMap((p) =>
      readYaml<{ roles: { role: string }[] }[]>(`ansible/${p}`).flatMap((play) =>
        play.roles.map((r) => r.role),
      ),
    );
    expect(rolesRun).toEqual(['gitlab', 'gitlab_runner', 'gitlab_config', 'push_repos']);
  });

  it('group_vars only sets variables that some role declares (a typo would be silently ignored)', () => {
    const declared = new Set(ROLES.flatMap((r) => Object.keys(roleVars(r, 'defaults'))));
    const groupVars = readYaml<Record<string, unknown>>('ansible/group_vars/all/main.yml');
    const unknown = Object.keys(groupVars).filter((k) => !k.startsWith('shipgate_') && !declared.has(k));
    expect(unknown).toEqual([]);
  });

  it('vault.yml.example names every vault variable group_vars reads, with placeholders only', () => {
    const groupVarsText = read('ansible/group_vars/all/main.yml');
    const used = [...new Set(groupVarsText.match(/\bvault_[a-z0-9_]+/g) ?? [])].sort();
    const example = readYaml<Record<string, string>>('ansible/group_vars/all/vault.yml.example');
    expect(Object.keys(example).sort()).toEqual(used);
    for (const value of Object.values(example)) expect(value).toMatch(/^<[^>]+>$/);
  });

  it('pins community.general in requirements.yml', () => {
    const req = readYaml<{ collections: { name: string; version: string }[] }>('ansible/requirements.yml');
    const general = req.collections.find((c) => c.name === 'community.general');
    expect(general?.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('every file in ansible/ is accounted for by the layout (no stray playbooks or vault files)', () => {
    const files = walk(ANSIBLE_DIR).map((f) => f.replace(/^ansible\//, ''));
    expect(files).not.toContain('group_vars/all/vault.yml');
    const topLevelYaml = files.filter((f) => !f.includes('/') && f.endsWith('.yml'));
    expect(topLevelYaml.sort()).toEqual([...playbooks, 'requirements.yml', 'site.yml'].sort());
    expect(existsSync(join(REPO_ROOT, 'Vagrantfile'))).toBe(true);
  });
});
