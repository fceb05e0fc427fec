import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync, type Metafile } from 'esbuild';
import {
  BUNDLE_ENTRIES,
  BUNDLE_EXTERNALS,
  BUNDLE_NAMES,
  bundleOptions,
  buildLambdaBundles,
  HTTP_DEFINES,
  type BundleName,
} from '../lib/build/lambda-bundles';
import { readConfigDocument } from '../lib/config-document';
import { median } from './lib/load';

const ROOT = resolve(__dirname, '..');

/** One Lambda bundle, measured. */
export interface BundleResult {
  name: string;
  entry: string;
  /** `index.js` bytes (source map not counted: it is a separate file Lambda never loads). */
  bytes: number;
  /** Median `require()` time of the bundle in a fresh `node` process, ms. */
  importMs: number;
  /** `importMs` divided by the median import time of an empty module measured the same way. */
  importVsEmpty: number;
  /** The smoke import: the bundle loaded and exports `handler` as a function. */
  smoke: 'ok' | string;
}

/** Results of the artifact part. */
export interface BundleResults {
  esbuild: string;
  options: string;
  runsPerImport: number;
  emptyModuleImportMs: number;
  bundles: BundleResult[];
  /** What the webhook bundle is made of: output bytes per package (top 8), from esbuild's metafile. */
  httpComposition: { module: string; bytes: number }[];
  /** Seconds to build every bundle from scratch (no cache), and to take them from the cache. */
  buildSeconds: { cold: number; cached: number };
  /**
   * The same bundles with the AWS SDK left out, loaded from node_modules as the Lambda runtime's own SDK
   * would be (`NODE_PATH`): what the byte goals would cost in import time.
   */
  sdkFromRuntime: SdkFromRuntime[];
  /** Each bundle against its size before issue 32 (bench/bundles-before.json): what left it. */
  versusBefore: {
    name: string;
    beforeBytes?: number;
    bytes: number;
    beforeImportMs?: number;
    importMs: number;
    left: string;
  }[];
}

/** One bundle built twice: the AWS SDK inside (as shipped) and the SDK left to the runtime. */
export interface SdkFromRuntime {
  name: BundleName;
  insideBytes: number;
  insideImportMs: number;
  runtimeBytes: number;
  runtimeImportMs: number;
}

/** Sizes and packages of every bundle before issue 32's work (measured once, kept in the repository). */
interface BundlesBefore {
  commit: string;
  emptyModuleImportMs: number;
  bundles: Record<string, { bytes: number; importMs: number; packages: Record<string, number> }>;
}

/** Output bytes per npm package (or `shipgate`), all of them. */
function packagesOf(metafile: Metafile, name: BundleName): Record<string, number> {
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith(`${name}/index.js`));
  const sums: Record<string, number> = {};
  for (const [path, { bytesInOutput }] of Object.entries(output?.[1].inputs ?? {})) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = m ? m[1] : 'shipgate';
    sums[key] = (sums[key] ?? 0) + bytesInOutput;
  }
  return sums;
}

/** "@gitbeaker/core −99 KB, zod −80 KB, …": the packages that shrank most (≥ 2 KB), largest first. */
function whatLeft(before: Record<string, number>, after: Record<string, number>): string {
  const gone = Object.entries(before)
    .map(([pkg, bytes]) => ({ pkg, delta: (after[pkg] ?? 0) - bytes, all: !(pkg in after) }))
    .filter((d) => d.delta <= -2048)
    .sort((a, b) => a.delta - b.delta);
  const grown = Object.entries(after)
    .map(([pkg, bytes]) => ({ pkg, delta: bytes - (before[pkg] ?? 0) }))
    .filter((d) => d.delta >= 2048)
    .sort((a, b) => b.delta - a.delta);
  const kb = (n: number) => `${Math.round(n / 1024)} KB`;
  return [
    ...gone.slice(0, 7).map((d) => `${d.pkg} −${kb(-d.delta)}${d.all ? ' (all)' : ''}`),
    ...(gone.length > 7 ? [`${gone.length - 7} more`] : []),
    ...grown.slice(0, 3).map((d) => `${d.pkg} +${kb(d.delta)}`),
  ].join(', ');
}

/** Output bytes per npm package (or `shipgate` for the repository's own code), largest first. */
function composition(metafile: Metafile, name: BundleName): { module: string; bytes: number }[] {
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith(`${name}/index.js`));
  const sums = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output?.[1].inputs ?? {})) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = m ? m[1] : 'shipgate (own code + inlined config)';
    sums.set(key, (sums.get(key) ?? 0) + bytesInOutput);
  }
  return [...sums.entries()]
    .map(([module, bytes]) => ({ module, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
}

/**
 * Time to `require()` `file` in a fresh node process (node's own start-up excluded), median of `runs`; also
 * checks that it exports a `handler` function (unless `expectHandler` is false).
 */
function importTime(
  file: string,
  runs: number,
  expectHandler: boolean,
  nodePath?: string,
): { ms: number; smoke: string } {
  const script = `
const t0 = process.hrtime.bigint();
const mod = require(${JSON.stringify(file)});
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
process.stdout.write(JSON.stringify({ ms, handler: typeof mod.handler }));`;
  const times: number[] = [];
  let smoke = 'ok';
  for (let i = 0; i < runs; i++) {
    try {
      const out = execFileSync(process.execPath, ['-e', script], {
        cwd: ROOT,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'us-east-1',
          AWS_LAMBDA_FUNCTION_NAME: 'bench',
          SHIPGATE_LOG_LEVEL: 'ERROR',
          AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
          ...(nodePath ? { NODE_PATH: nodePath } : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const r = JSON.parse(out) as { ms: number; handler: string };
      times.push(r.ms);
      if (expectHandler && r.handler !== 'function') smoke = `exports handler as ${r.handler}`;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      return {
        ms: NaN,
        smoke: `import failed: ${(e.stderr || e.message).split('\n').slice(0, 3).join(' ')}`,
      };
    }
  }
  return { ms: median(times), smoke };
}

/** Packages the Lambda runtime for Node.js 22 ships (the AWS SDK for JavaScript v3 and what it is built on). */
export const RUNTIME_SDK_PACKAGES: readonly string[] = ['@aws-sdk/*', '@smithy/*', '@aws-crypto/*'];

/**
 * Builds `names` again with the AWS SDK external and times both builds' imports, alternating run by run so
 * both meet the same machine. The SDK-less bundle loads the SDK from the repository's node_modules through
 * `NODE_PATH`, as a function without a bundled SDK loads the runtime's (/var/runtime/node_modules): the same
 * CommonJS files, one `require` each. Answers "what would the byte goals cost": the bytes fall, and this says
 * what the import does.
 */
function sdkFromRuntime(
  document: unknown,
  built: ReturnType<typeof buildLambdaBundles>,
  names: BundleName[],
  isolated: string,
  runs: number,
): SdkFromRuntime[] {
  const options = bundleOptions(document);
  const out = join(isolated, 'sdk-from-runtime');
  buildSync({
    ...options,
    // The clients then load their own credential chain from node_modules too, as they would on Lambda.
    external: [...BUNDLE_EXTERNALS, ...RUNTIME_SDK_PACKAGES],
    define: { ...options.define, ...(names.includes('http') ? HTTP_DEFINES : {}) },
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(names.map((name) => [`${name}/index`, join(ROOT, BUNDLE_ENTRIES[name])])),
    outdir: out,
  });
  return names.map((name) => {
    const inside = join(isolated, name, 'index.js');
    const runtime = join(out, name, 'index.js');
    const insideTimes: number[] = [];
    const runtimeTimes: number[] = [];
    for (let i = 0; i < runs; i++) {
      insideTimes.push(importTime(inside, 1, true).ms);
      const r = importTime(runtime, 1, true, join(ROOT, 'node_modules'));
      if (r.smoke !== 'ok') throw new Error(`${name} without the SDK: ${r.smoke}`);
      runtimeTimes.push(r.ms);
    }
    return {
      name,
      insideBytes: statSync(built.bundles[name].file).size,
      insideImportMs: Math.round(median(insideTimes) * 10) / 10,
      runtimeBytes: statSync(runtime).size,
      runtimeImportMs: Math.round(median(runtimeTimes) * 10) / 10,
    };
  });
}

/**
 * Measures the one build (`buildLambdaBundles`, what CDK packages and the sandbox runs): size, import time and
 * a smoke import of every bundle, with the AWS SDK inside. Each bundle is copied to a directory with no
 * node_modules above it first, as in /var/task, so an import that needed a package outside the bundle fails.
 */
export async function benchBundles(
  workDir: string,
  runs: number,
  log: (line: string) => void,
): Promise<BundleResults> {
  const { document } = readConfigDocument(join(ROOT, 'shipgate.config.yaml'));
  const cacheDir = join(workDir, 'bundle-cache');
  let t0 = performance.now();
  const built = buildLambdaBundles(document, { cacheDir });
  const cold = (performance.now() - t0) / 1000;
  t0 = performance.now();
  buildLambdaBundles(document, { cacheDir });
  const cached = (performance.now() - t0) / 1000;
  const isolated = join('/tmp', `shipgate-bench-bundles-${process.pid}`);
  mkdirSync(isolated, { recursive: true });
  const empty = join(isolated, 'empty.js');
  writeFileSync(empty, '');
  const emptyMs = importTime(empty, runs, false).ms;
  const bundles: BundleResult[] = [];
  for (const name of BUNDLE_NAMES) {
    const dir = join(isolated, name);
    cpSync(built.bundles[name].dir, dir, { recursive: true });
    const outfile = join(dir, 'index.js');
    const { ms, smoke } = importTime(outfile, runs, true);
    bundles.push({
      name,
      entry: built.bundles[name].entry,
      bytes: statSync(outfile).size,
      importMs: Math.round(ms * 10) / 10,
      importVsEmpty: Math.round((ms / emptyMs) * 10) / 10,
      smoke,
    });
    log(`  ${name}: ${statSync(outfile).size} bytes, import ${ms.toFixed(1)} ms, smoke ${smoke}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuildVersion = (require('esbuild/package.json') as { version: string }).version;
  const options = bundleOptions(document);
  const before = JSON.parse(
    readFileSync(join(ROOT, 'bench', 'bundles-before.json'), 'utf8'),
  ) as BundlesBefore;
  const versusBefore = bundles.map((b) => {
    const old = before.bundles[b.name];
    return {
      name: b.name,
      beforeBytes: old?.bytes,
      bytes: b.bytes,
      beforeImportMs: old?.importMs,
      importMs: b.importMs,
      left: old ? whatLeft(old.packages, packagesOf(built.metafile, b.name as BundleName)) : 'new function',
    };
  });
  // The webhook's bundle and the largest of the others.
  const largest = bundles.filter((b) => b.name !== 'http').reduce((a, b) => (b.bytes > a.bytes ? b : a))
    .name as BundleName;
  let sdk: SdkFromRuntime[] = [];
  try {
    sdk = sdkFromRuntime(document, built, ['http', largest], isolated, runs);
  } catch (err) {
    // A comparison, not the measurement itself: the bundles' own figures stand without it.
    log(`  the SDK-less comparison was not measured: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const x of sdk)
    log(
      `  ${x.name} without the SDK: ${x.runtimeBytes} bytes, import ${x.runtimeImportMs} ms (${x.insideImportMs} ms inside)`,
    );
  return {
    sdkFromRuntime: sdk,
    versusBefore,
    esbuild: esbuildVersion,
    options: `bundle, platform node, target ${String(options.target)}, format ${options.format}, minify, keepNames, external source map, AWS SDK inside (credential chain reduced to the environment), external ${BUNDLE_EXTERNALS.join(' ')}, config inlined via define (lib/build/lambda-bundles.ts)`,
    runsPerImport: runs,
    emptyModuleImportMs: Math.round(emptyMs * 100) / 100,
    bundles,
    httpComposition: composition(built.metafile, 'http'),
    buildSeconds: { cold: Math.round(cold * 100) / 100, cached: Math.round(cached * 1000) / 1000 },
  };
}
