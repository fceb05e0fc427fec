import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { buildSync, version as esbuildVersion, type BuildOptions, type Metafile } from 'esbuild';
import { STEPS, STEP_NAMES, type StepName } from '../workflow/steps';

/**
 * The one build of Shipgate's Lambda code. CDK packages these directories as the functions' assets, and the
 * sandbox, the workflow integration tests and the bench load the very same files: what is tested is what
 * AWS runs. Only endpoints and secrets differ between the two.
 */

/** Repository root (where package.json and the lambdas live). */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/** Name of a Lambda bundle: the HTTP API's hono Lambda or one workflow step. */
export type BundleName = 'http' | StepName;

/** Handler file of every bundle, relative to the repository root; each exports `handler`. */
export const BUNDLE_ENTRIES: Readonly<Record<BundleName, string>> = {
  http: 'lambdas/http/handler.ts',
  ...(Object.fromEntries(STEP_NAMES.map((s) => [s, STEPS[s].entry])) as Record<StepName, string>),
};

/** Every bundle name in a stable order. */
export const BUNDLE_NAMES = Object.keys(BUNDLE_ENTRIES) as BundleName[];

/**
 * Packages left out of every bundle. Only `yaml`: it is required lazily when the config is read from a file,
 * which a bundle never does (its config document is inlined). The AWS SDK v3 is bundled, pinned by the
 * lockfile, so the clients that were tested are the clients that run: the SDK inside the Lambda runtime is
 * whatever version AWS ships that month, and an SDK whose model predates a field (ECS `canaryConfiguration`)
 * drops it from the request without a word.
 */
export const BUNDLE_EXTERNALS: readonly string[] = ['yaml'];

/**
 * The esbuild options of every Lambda bundle (for one config document). `keepNames` keeps class and function
 * names through minification, so stack traces and `constructor.name` stay readable; the error names Step
 * Functions matches are set explicitly on each class (`errorName`) and do not depend on it.
 */
export function bundleOptions(configDocument: unknown): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    keepNames: true,
    sourcemap: true,
    sourcesContent: false,
    // Prefer ESM entry points of dependencies: they tree-shake (the SDK clients ship both).
    mainFields: ['module', 'main'],
    external: [...BUNDLE_EXTERNALS],
    // The SDK's default credential chain, reduced to what answers in Lambda: the environment
    // (lambdas/shared/lambda-credentials.ts says why).
    alias: { '@aws-sdk/credential-provider-node': './lambdas/shared/lambda-credentials.ts' },
    legalComments: 'none',
    define: {
      // A JS string literal whose value is the JSON document (esbuild `define` takes JS expressions).
      'process.env.SHIPGATE_CONFIG_JSON': JSON.stringify(JSON.stringify(configDocument)),
      // TEST-ONLY (issue 31's upgrade test): a mark fixed at build time, which `record-release` adds to its
      // output, so a test can tell a release that ran old code from one that ran new code. Empty everywhere
      // else; it is part of the options, hence of the bundle hash.
      'process.env.SHIPGATE_TEST_BUILD_MARK': JSON.stringify(testBuildMark()),
    },
    logLevel: 'silent',
    metafile: true,
  };
}

/**
/**
 * Extra `define`s of the HTTP bundle (built apart from the others for that). `SHIPGATE_FOLLOW_UPS`
 * = "hand-off": a decision's follow-ups (chat, the release record, GitLab) go to the follow-up function as
 * asynchronous invocations (lambdas/domain/followups/dispatch.ts), and the code that runs them in place is
 * dead and left out of the bundle: the HTTP function carries no chat or GitLab client.
 */
export const HTTP_DEFINES: Readonly<Record<string, string>> = {
  'process.env.SHIPGATE_FOLLOW_UPS': JSON.stringify('hand-off'),
};

/**
 * TEST-ONLY: the contents of the file `SHIPGATE_TEST_BUILD_MARK_FILE` names, read at each build (a file, so
 * a test can change what a running sandbox builds next); empty when the variable is unset. Never set it for
 * a real deploy: it changes what "Record release" returns.
 */
export function testBuildMark(env: NodeJS.ProcessEnv = process.env): string {
  const file = env.SHIPGATE_TEST_BUILD_MARK_FILE;
  return file ? readFileSync(file, 'utf8').trim() : '';
}

/** One built bundle. */
export interface LambdaBundle {
  name: BundleName;
  /** Handler source file, relative to the repository root. */
  entry: string;
  /** Directory holding `index.js` and `index.js.map`: the function's asset. */
  dir: string;
  /** Absolute path of `index.js` (handler `index.handler`). */
  file: string;
}

/** Result of {@link buildLambdaBundles}. */
export interface LambdaBundles {
  /** Content hash of everything the build depends on: the cache key. */
  hash: string;
  /** Directory of this build (`<cacheDir>/<hash>`). */
  dir: string;
  /** Whether this call built (false: taken from the cache). */
  built: boolean;
  bundles: Record<BundleName, LambdaBundle>;
  /** esbuild's metafile of the build (inputs and bytes per output). */
  metafile: Metafile;
}

/** Options of {@link buildLambdaBundles}. */
export interface BuildLambdaBundlesOptions {
  /** Where builds are kept, one directory per content hash. @default node_modules/.cache/shipgate-bundles */
  cacheDir?: string;
  /** Repository root. @default REPO_ROOT */
  rootDir?: string;
}

/** Default cache of built bundles. */
export const DEFAULT_BUNDLE_CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'shipgate-bundles');

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (name.endsWith('.ts') || name.endsWith('.json')) out.push(full);
  }
  return out;
}

/**
 * Content hash of a build: esbuild's version and options (the inlined config included), every source file
 * under `lambdas/`, the lockfile (pins every bundled package, the AWS SDK among them) and this file.
 */
export function bundleHash(configDocument: unknown, rootDir = REPO_ROOT): string {
  const hash = createHash('sha256');
  hash.update(`esbuild ${esbuildVersion}\n`);
  hash.update(JSON.stringify(bundleOptions(configDocument)));
  hash.update(JSON.stringify(BUNDLE_ENTRIES));
  hash.update(JSON.stringify(HTTP_DEFINES));
  for (const file of [
    ...sourceFiles(join(rootDir, 'lambdas')),
    join(rootDir, 'package-lock.json'),
    join(rootDir, 'lib', 'build', 'lambda-bundles.ts'),
  ]) {
    hash.update(`\n${relative(rootDir, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 32);
}

function bundlesIn(dir: string): Record<BundleName, LambdaBundle> {
  return Object.fromEntries(
    BUNDLE_NAMES.map((name) => [
      name,
      { name, entry: BUNDLE_ENTRIES[name], dir: join(dir, name), file: join(dir, name, 'index.js') },
    ]),
  ) as Record<BundleName, LambdaBundle>;
}

/**
 * Builds every Lambda bundle for one config document, or takes them from the cache when nothing they depend
 * on changed. Synchronous, so CDK constructs can call it while synthesizing. Safe to call from processes
 * running at the same time: each builds into a directory of its own and moves it into place.
 * @example const { bundles } = buildLambdaBundles(document); require(bundles['start-rollout'].file).handler
 */
export function buildLambdaBundles(
  configDocument: unknown,
  options: BuildLambdaBundlesOptions = {},
): LambdaBundles {
  const rootDir = options.rootDir ?? REPO_ROOT;
  const cacheDir = options.cacheDir ?? DEFAULT_BUNDLE_CACHE;
  const hash = bundleHash(configDocument, rootDir);
  const dir = join(cacheDir, hash);
  const metaFile = join(dir, 'meta.json');
  if (existsSync(metaFile)) {
    return {
      hash,
      dir,
      built: false,
      bundles: bundlesIn(dir),
      metafile: JSON.parse(readFileSync(metaFile, 'utf8')) as Metafile,
    };
  }
  mkdirSync(cacheDir, { recursive: true });
  const staging = join(cacheDir, `.${hash}.${process.pid}.${randomBytes(4).toString('hex')}`);
  const common = bundleOptions(configDocument);
  const build = (names: BundleName[], define: Record<string, string> = {}) =>
    buildSync({
      ...common,
      define: { ...common.define, ...define },
      absWorkingDir: rootDir,
      entryPoints: Object.fromEntries(
        names.map((name) => [`${name}/index`, resolve(rootDir, BUNDLE_ENTRIES[name])]),
      ),
      outdir: staging,
    }).metafile!;
  // Two builds: the HTTP bundle with its own defines, every step with the common options.
  const http = build(['http'], { ...HTTP_DEFINES });
  const steps = build(BUNDLE_NAMES.filter((name) => name !== 'http'));
  const metafile: Metafile = {
    inputs: { ...steps.inputs, ...http.inputs },
    outputs: { ...steps.outputs, ...http.outputs },
  };
  writeFileSync(join(staging, 'meta.json'), JSON.stringify(metafile));
  try {
    renameSync(staging, dir);
  } catch (err) {
    // Another process finished the same build first: its files are identical, keep them.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(metaFile)) throw err;
  }
  return { hash, dir, built: true, bundles: bundlesIn(dir), metafile };
}
