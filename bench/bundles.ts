import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { readConfigDocument } from '../lib/config-document';
import { BUNDLE_EXTERNALS } from '../lib/constructs/shipgate-function';
import { STEPS } from '../lib/workflow/steps';
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
  /** The webhook Lambda bundled with the AWS SDK inside (what it would weigh without the runtime's SDK). */
  httpWithSdk?: { bytes: number; importMs: number };
}

/** The options `lib/constructs/shipgate-function.ts` gives NodejsFunction, as esbuild options. */
function cdkLikeOptions(
  entry: string,
  outfile: string,
  document: unknown,
  sdkExternal: boolean,
): BuildOptions {
  return {
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: sdkExternal
      ? [...BUNDLE_EXTERNALS]
      : BUNDLE_EXTERNALS.filter((m) => !m.startsWith('@aws-sdk/')),
    define: { 'process.env.SHIPGATE_CONFIG_JSON': JSON.stringify(JSON.stringify(document)) },
    logLevel: 'silent',
    metafile: true,
  };
}

/** Output bytes per npm package (or `shipgate` for the repository's own code), largest first. */
function composition(metafile: Metafile, outfile: string): { module: string; bytes: number }[] {
  const output = Object.entries(metafile.outputs).find(([path]) =>
    outfile.endsWith(path.replace(/^(\.\.\/)+/, '')),
  );
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
function importTime(file: string, runs: number, expectHandler: boolean): { ms: number; smoke: string } {
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

/** Builds every Lambda as the CDK stack does and measures size, import time and a smoke import. */
export async function benchBundles(
  workDir: string,
  runs: number,
  log: (line: string) => void,
): Promise<BundleResults> {
  // Inside the repository, so the bundles resolve the AWS SDK from node_modules as the runtime provides it.
  const outDir = join(workDir, 'bundles');
  mkdirSync(outDir, { recursive: true });
  const { document } = readConfigDocument(join(ROOT, 'shipgate.config.yaml'));
  const entries: [string, string][] = [
    ['http', 'lambdas/http/handler.ts'],
    ...Object.entries(STEPS).map(([name, spec]) => [name, spec.entry] as [string, string]),
  ];
  const empty = join(outDir, 'empty.js');
  writeFileSync(empty, '');
  const emptyMs = importTime(empty, runs, false).ms;
  const bundles: BundleResult[] = [];
  let httpComposition: { module: string; bytes: number }[] = [];
  for (const [name, entry] of entries) {
    const outfile = join(outDir, name, 'index.js');
    const built = await build(cdkLikeOptions(entry, outfile, document, true));
    if (name === 'http') httpComposition = composition(built.metafile!, outfile);
    const { ms, smoke } = importTime(outfile, runs, true);
    bundles.push({
      name,
      entry,
      bytes: statSync(outfile).size,
      importMs: Math.round(ms * 10) / 10,
      importVsEmpty: Math.round((ms / emptyMs) * 10) / 10,
      smoke,
    });
    log(`  ${name}: ${statSync(outfile).size} bytes, import ${ms.toFixed(1)} ms, smoke ${smoke}`);
  }
  const withSdk = join(outDir, 'http-with-sdk', 'index.js');
  await build(cdkLikeOptions('lambdas/http/handler.ts', withSdk, document, false));
  const sdkImport = importTime(withSdk, runs, true);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuildVersion = (require('esbuild/package.json') as { version: string }).version;
  return {
    esbuild: esbuildVersion,
    options: `bundle, platform node, target node22, format cjs, minify, external source map, external ${BUNDLE_EXTERNALS.join(' ')}, config inlined via define (lib/constructs/shipgate-function.ts)`,
    runsPerImport: runs,
    emptyModuleImportMs: Math.round(emptyMs * 100) / 100,
    bundles,
    httpComposition,
    httpWithSdk: { bytes: statSync(withSdk).size, importMs: Math.round(sdkImport.ms * 10) / 10 },
  };
}
