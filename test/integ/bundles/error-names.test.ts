import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  bundleOptions,
  buildLambdaBundles,
  BUNDLE_NAMES,
  REPO_ROOT,
} from '../../../lib/build/lambda-bundles';
import { readConfigDocument } from '../../../lib/config-document';
import { renderLocalDefinition } from '../../../lib/workflow/render';
import { ShipgateError } from '../../../lambdas/shared/errors';
import { lambdaErrorDocument } from '../../../sandbox/workflow/lambda';

/**
 * Error names are a contract (docs/architecture.md, "Error names"): Step Functions matches them in `Retry` and
 * `Catch`, and the release record, chat, the console and GitLab statuses show them. These tests hold that
 * contract on the artifacts AWS runs, the minified bundles, not on the TypeScript sources:
 * - every error class states its own name, independent of minification;
 * - the bundles keep class names (`keepNames`), so a thrown error's class and name agree in logs and traces;
 * - every custom name the state machine matches, and every name the code compares against, is produced by a
 *   bundle (or by the state machine itself).
 */

const { document, config } = readConfigDocument(join(REPO_ROOT, 'shipgate.config.yaml'));
const { bundles } = buildLambdaBundles(document);
const bundleText = Object.fromEntries(
  BUNDLE_NAMES.map((name) => [name, readFileSync(bundles[name].file, 'utf8')]),
) as Record<string, string>;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

/** Every exported ShipgateError subclass under lambdas/, with the file it is exported from. */
function errorClasses(): { file: string; exportName: string; cls: typeof ShipgateError }[] {
  const out: { file: string; exportName: string; cls: typeof ShipgateError }[] = [];
  for (const file of sourceFiles(join(REPO_ROOT, 'lambdas'))) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as Record<string, unknown>;
    for (const [exportName, value] of Object.entries(mod)) {
      if (typeof value === 'function' && value.prototype instanceof ShipgateError) {
        out.push({ file: relative(REPO_ROOT, file), exportName, cls: value as typeof ShipgateError });
      }
    }
  }
  return out;
}

/** Custom names in the synthesized ASL: `ErrorEquals` of every Retry/Catch, and `Error` of Fail/Pass states. */
function aslNames(): { matched: Set<string>; produced: Set<string> } {
  const { definition } = renderLocalDefinition(config);
  const matched = new Set<string>();
  const produced = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        // `States.*` are Step Functions' own; `Lambda.*` are the Lambda service's (CDK's default retry).
        if (k === 'ErrorEquals')
          for (const n of x as string[]) if (!/^(States|Lambda)\./.test(n)) matched.add(n);
        if (k === 'Error' && typeof x === 'string') produced.add(x);
        walk(x);
      }
    }
  };
  walk(definition);
  return { matched, produced };
}

/**
 * Names the code compares an error name against (`=== 'X'`, `new Set(['X', …])`): the error-name literals
 * of lambdas/, by their shape (`…Failed`, `…Superseded`, `…Rejected`, `…Expired`, `…Locked`, `…Stuck`,
 * `…Frozen`, `…Refused`, `…Pinned`).
 */
function comparedNames(): Set<string> {
  const names = new Set<string>();
  const shape =
    /'([A-Z][A-Za-z]+(?:Failed|Superseded|Rejected|Expired|Locked|Stuck|Frozen|Refused|Pinned))'/g;
  for (const file of sourceFiles(join(REPO_ROOT, 'lambdas'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(shape)) names.add(m[1]);
  }
  return names;
}

/** Whether some bundle carries `name` as a string literal (an `errorName`, or a `SendTaskFailure` error). */
const producedByABundle = (name: string) =>
  Object.values(bundleText).some((code) => code.includes(`"${name}"`) || code.includes(`'${name}'`));

describe('error names across the build', () => {
  it('every error class declares its own stable name, equal to its class name in the source', () => {
    const classes = errorClasses();
    expect(classes.length).toBeGreaterThan(30);
    const wrong = classes
      .filter(
        ({ cls }) => !Object.prototype.hasOwnProperty.call(cls, 'errorName') || cls.errorName !== cls.name,
      )
      .map(({ file, exportName, cls }) => `${file}: ${exportName} reports "${cls.errorName}"`);
    expect(wrong).toEqual([]);
  });

  it('bundles are built with keepNames, so a thrown error keeps its class name in the artifact AWS runs', async () => {
    // The resolve-release bundle refuses a malformed payload with an error whose class (as minified) and
    // reported name agree.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require(bundles['resolve-release'].file) as {
      handler: (event: unknown) => Promise<unknown>;
    };
    const err = await handler({ release: { id: 42 } }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.name).not.toBe('Error');
    expect(err!.constructor.name).toBe(err!.name);
    expect(lambdaErrorDocument(err).errorType).toBe(err!.name);
    expect(bundleOptions(document).keepNames).toBe(true);
  });

  it('every custom name the state machine matches is produced by a bundle or the state machine', () => {
    const { matched, produced } = aslNames();
    expect([...matched]).toContain('RolloutLocked');
    const orphans = [...matched].filter((n) => !produced.has(n) && !producedByABundle(n));
    expect(orphans).toEqual([]);
  });

  it('every error name the code compares against is produced by a bundle or the state machine', () => {
    const { produced } = aslNames();
    const names = comparedNames();
    expect([...names]).toEqual(
      expect.arrayContaining([
        'ReleaseSuperseded',
        'ApprovalSuperseded',
        'ApprovalRejected',
        'ApprovalExpired',
      ]),
    );
    const orphans = [...names].filter((n) => !produced.has(n) && !producedByABundle(n));
    expect(orphans).toEqual([]);
  });

  it('the start-rollout bundle names RolloutLocked and ReleaseSuperseded as Step Functions must see them', () => {
    // Before explicit names, neither string occurred in the minified bundle: the classes were renamed and
    // `error.name` came from the class name.
    for (const name of ['RolloutLocked', 'ReleaseSuperseded', 'RolloutFailed', 'PromotionRefused']) {
      expect({ name, inBundle: bundleText['start-rollout'].includes(`"${name}"`) }).toEqual({
        name,
        inBundle: true,
      });
    }
  });
});
