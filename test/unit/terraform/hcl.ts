import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parse } from '@cdktf/hcl2json';

/** Root of the Terraform code. */
export const TERRAFORM_DIR = resolve(__dirname, '../../../terraform');

/** Module names under `terraform/modules`. */
export const MODULES = readdirSync(join(TERRAFORM_DIR, 'modules')).filter((n) =>
  statSync(join(TERRAFORM_DIR, 'modules', n)).isDirectory(),
);

/** Environment names under `terraform/environments`. */
export const ENVIRONMENTS = readdirSync(join(TERRAFORM_DIR, 'environments')).filter((n) =>
  statSync(join(TERRAFORM_DIR, 'environments', n)).isDirectory(),
);

/** A block as `@cdktf/hcl2json` returns it: attributes and nested blocks (each a list). */
export type Block = Record<string, unknown>;

/** One parsed `.tf` file. */
export interface TfFile {
  /** Path relative to `terraform/`. */
  path: string;
  text: string;
  json: Record<string, unknown>;
}

/** Every file under `terraform/` whose name ends with one of `suffixes`, relative paths sorted. */
export function listFiles(suffixes: string[], dir = TERRAFORM_DIR): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === '.terraform' || name === 'node_modules') continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listFiles(suffixes, full));
    else if (suffixes.some((s) => name.endsWith(s))) out.push(relative(TERRAFORM_DIR, full));
  }
  return out.sort();
}

const cache = new Map<string, Promise<TfFile>>();

/** Parses one file (path relative to `terraform/`) with hcl2json, once. */
export function parseFile(path: string): Promise<TfFile> {
  let p = cache.get(path);
  if (!p) {
    const text = readFileSync(join(TERRAFORM_DIR, path), 'utf8');
    p = parse(path, text).then((json) => ({ path, text, json }));
    cache.set(path, p);
  }
  return p;
}

/** Parses every `.tf` file under `terraform/`. */
export async function parseAll(): Promise<TfFile[]> {
  return Promise.all(listFiles(['.tf']).map(parseFile));
}

/** `[type, name, body]` for every resource (or data source with `kind = 'data'`) of a parsed file. */
export function blocksOf(file: TfFile, kind: 'resource' | 'data' = 'resource'): [string, string, Block][] {
  const out: [string, string, Block][] = [];
  const byType = (file.json[kind] ?? {}) as Record<string, Record<string, Block[]>>;
  for (const [type, byName] of Object.entries(byType)) {
    for (const [name, bodies] of Object.entries(byName)) {
      for (const body of bodies) out.push([type, name, body]);
    }
  }
  return out;
}

/** All resources of a given type across files: `{ file, name, body }`. */
export function resourcesOfType(
  files: TfFile[],
  type: string,
  kind: 'resource' | 'data' = 'resource',
): { file: string; name: string; body: Block }[] {
  return files.flatMap((f) =>
    blocksOf(f, kind)
      .filter(([t]) => t === type)
      .map(([, name, body]) => ({ file: f.path, name, body })),
  );
}

/** The first nested block called `name` (hcl2json wraps blocks in arrays), or undefined. */
export function child(block: Block | undefined, name: string): Block | undefined {
  const v = block?.[name];
  return Array.isArray(v) ? (v[0] as Block) : undefined;
}

/** All nested blocks called `name`, including `dynamic "name"` blocks' `content`. */
export function children(block: Block | undefined, name: string): Block[] {
  const direct = (block?.[name] as Block[] | undefined) ?? [];
  const dynamic = ((block?.dynamic as Record<string, Block[]> | undefined)?.[name] ?? []).map(
    (d) => child(d, 'content') ?? {},
  );
  return [...direct, ...dynamic];
}

/** `{ name: body }` of the variables declared in a parsed file. */
export function variablesOf(file: TfFile): Record<string, Block> {
  const vars = (file.json.variable ?? {}) as Record<string, Block[]>;
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v[0]]));
}

/** `{ name: body }` of the outputs declared in a parsed file. */
export function outputsOf(file: TfFile): Record<string, Block> {
  const outs = (file.json.output ?? {}) as Record<string, Block[]>;
  return Object.fromEntries(Object.entries(outs).map(([k, v]) => [k, v[0]]));
}

/** Parses a `.tfvars` file (HCL attributes only). */
export async function parseTfvars(path: string): Promise<Record<string, unknown>> {
  const text = readFileSync(join(TERRAFORM_DIR, path), 'utf8');
  return parse(path.replace(/\.tfvars$/, '.tf'), text);
}

/** The names inside `ignore_changes = [a, b]` as hcl2json renders it (`"${[a, b]}"` or a list). */
export function ignoreChanges(resource: Block): string[] {
  const lifecycle = child(resource, 'lifecycle');
  const raw = lifecycle?.ignore_changes;
  const text = Array.isArray(raw) ? raw.join(',') : String(raw ?? '');
  return text
    .replace(/^\$\{\[?|\]?\}$/g, '')
    .split(',')
    .map((s) => s.replace(/[${}[\]\s"]/g, ''))
    .filter(Boolean);
}

/**
 * Whether a `terraform` binary is on PATH. Never a silent skip: without one it says what was not checked
 * (`what`) and how to get it checked. Terraform is not a Debian package, so CI may lack it too.
 */
export function terraformAvailable(what: string): boolean {
  try {
    execFileSync('terraform', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    process.stderr.write(
      `SKIPPED test/unit/terraform ${what}: no terraform binary on PATH ` +
        '(install Terraform >= 1.11; .ci/run also runs `terraform fmt -check` when terraform is installed)\n',
    );
    return false;
  }
}
