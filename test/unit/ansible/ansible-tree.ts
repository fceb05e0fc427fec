import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parse } from 'yaml';

/** Root of the Shipgate repository. */
export const REPO_ROOT = resolve(__dirname, '../../..');
/** The Ansible tree under test. */
export const ANSIBLE_DIR = join(REPO_ROOT, 'ansible');
/** Roles that site.yml runs. */
export const ROLES = ['gitlab', 'gitlab_runner', 'gitlab_config', 'push_repos'] as const;

/** One task (or handler) as parsed from YAML. */
export type Task = Record<string, unknown> & { name?: string };

/** Keywords of a task that are not the module. */
export const TASK_KEYWORDS = new Set([
  'name',
  'when',
  'loop',
  'loop_control',
  'register',
  'changed_when',
  'failed_when',
  'no_log',
  'notify',
  'environment',
  'become',
  'until',
  'retries',
  'delay',
  'tags',
  'vars',
  'listen',
  'ignore_errors',
  'delegate_to',
  'run_once',
  'args',
  'check_mode',
]);

/** Text of a file under the repository root. */
export function read(relPath: string): string {
  return readFileSync(join(REPO_ROOT, relPath), 'utf8');
}

/** A YAML file under the repository root, parsed. */
export function readYaml<T = unknown>(relPath: string): T {
  return parse(read(relPath)) as T;
}

/** Every file below a directory (repository-relative paths), skipping nothing. */
export function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else out.push(relative(REPO_ROOT, full));
  }
  return out.sort();
}

/** Files of one role directory (`tasks`, `handlers`, `templates`, ...), repository-relative. */
export function roleFiles(role: string, sub: string): string[] {
  const dir = join(ANSIBLE_DIR, 'roles', role, sub);
  return existsSync(dir) ? walk(dir) : [];
}

/** Tasks and handlers of a role with the file they come from. */
export function roleTasks(role: string): { file: string; task: Task }[] {
  return [...roleFiles(role, 'tasks'), ...roleFiles(role, 'handlers')].flatMap((file) =>
    (readYaml<Task[] | null>(file) ?? []).map((task) => ({ file, task })),
  );
}

/** The module key of a task: the one key that is not a task keyword. */
export function moduleOf(task: Task): string {
  const keys = Object.keys(task).filter((k) => !TASK_KEYWORDS.has(k));
  if (keys.length !== 1) {
    throw new Error(
      `task "${task.name}" has ${keys.length} module keys (${keys.join(', ')}); expected exactly one`,
    );
  }
  return keys[0];
}

/** Top-level keys of a role's defaults/main.yml or vars/main.yml ({} when the file is absent). */
export function roleVars(role: string, kind: 'defaults' | 'vars'): Record<string, unknown> {
  const rel = `ansible/roles/${role}/${kind}/main.yml`;
  return existsSync(join(REPO_ROOT, rel)) ? (readYaml<Record<string, unknown>>(rel) ?? {}) : {};
}

/**
 * Whether a command exists on PATH. When a tool the test needs is missing: in CI (`CI=true`) this throws so
 * the run fails; on a workstation it prints why the tests are skipped and how to install the tool.
 */
export function toolsAvailable(tools: string[], testFile: string): boolean {
  const missing = tools.filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return true;
  const reason =
    `${testFile}: ${missing.join(', ')} not found on PATH. ` +
    `Install with: apt-get update && apt-get install -y ${missing.map((t) => (t === 'ansible-playbook' ? 'ansible' : t)).join(' ')}`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`CI=true and ${reason}`);
  process.stderr.write(`SKIPPED ${reason}\n`);
  return false;
}
