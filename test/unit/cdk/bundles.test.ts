import { App, type CfnResource } from 'aws-cdk-lib';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfigDocument } from '../../../lib/config-document';
import { buildLambdaBundles, REPO_ROOT, type BundleName } from '../../../lib/build/lambda-bundles';
import { STEP_NAMES } from '../../../lib/workflow/steps';
import { ShipgateStack } from '../../../lib/shipgate-stack';

/**
 * The real esbuild bundles (as `cdk synth`/`cdk deploy` package them): every one must load in Node with the
 * AWS SDK v3 inside, and carry the validated config so it needs no file at run time.
 */
describe('Lambda bundles', () => {
  const outRoot = join(REPO_ROOT, 'cdk.out');
  mkdirSync(outRoot, { recursive: true });
  const outdir = mkdtempSync(join(outRoot, 'bundles-test-'));
  let bundles: Record<string, string> = {};

  beforeAll(() => {
    const { config, document } = readConfigDocument(join(REPO_ROOT, 'shipgate.config.yaml'));
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new ShipgateStack(app, 'Shipgate', { config, configDocument: document });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
    };
    // Named by construct: `HttpFunction`, `<Step>Function`, and `VerifyHook<Environment>` (one per environment).
    const functions: [string, (typeof stack)['httpFunction']][] = [
      ...[stack.httpFunction, ...Object.values(stack.stepFunctions)].map(
        (fn) => [fn.node.scope!.node.id, fn] as [string, typeof fn],
      ),
      ...Object.values(stack.verifyHooks).map(
        (fn) => [fn.node.scope!.node.scope!.node.id, fn] as [string, typeof fn],
      ),
    ];
    bundles = Object.fromEntries(
      functions.map(([name, fn]) => {
        const id = stack.getLogicalId(fn.node.defaultChild as CfnResource);
        return [name, join(outdir, template.Resources[id].Metadata!['aws:asset:path'])];
      }),
    );
  }, 300_000);

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('builds one bundle per function that loads and exports handler', () => {
    // The HTTP function, 19 shared steps (reconcile, follow-up and alarm-chat among them) and one verify hook
    // per environment.
    expect(Object.keys(bundles)).toHaveLength(22);
    for (const [name, dir] of Object.entries(bundles)) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(join(dir, 'index.js')) as { handler?: unknown };
      expect({ name, handler: typeof mod.handler }).toEqual({ name, handler: 'function' });
    }
  });

  it('packages exactly the one build the sandbox and the integration tests run', () => {
    const { document } = readConfigDocument(join(REPO_ROOT, 'shipgate.config.yaml'));
    const build = buildLambdaBundles(document);
    const byFunction: Record<string, BundleName> = { HttpFunction: 'http' };
    for (const step of STEP_NAMES) {
      byFunction[`${step.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}Function`] = step;
    }
    for (const env of ['Staging', 'Production']) byFunction[`VerifyHook${env}`] = 'verify-hook';
    for (const [fn, dir] of Object.entries(bundles)) {
      const asset = readFileSync(join(dir, 'index.js'));
      const built = readFileSync(build.bundles[byFunction[fn]].file);
      expect({ fn, same: asset.equals(built) }).toEqual({ fn, same: true });
    }
  });

  it('requires no @aws-sdk package at run time: the SDK that was tested is inside every bundle', () => {
    // Loaded from a directory with no node_modules above it, as in /var/task: nothing to resolve @aws-sdk from.
    const isolated = mkdtempSync(join(tmpdir(), 'shipgate-bundle-'));
    try {
      for (const [name, dir] of Object.entries(bundles)) {
        cpSync(dir, join(isolated, name), { recursive: true });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(join(isolated, name, 'index.js')) as { handler?: unknown };
        expect({ name, handler: typeof mod.handler }).toEqual({ name, handler: 'function' });
      }
    } finally {
      rmSync(isolated, { recursive: true, force: true });
    }
    const { document } = readConfigDocument(join(REPO_ROOT, 'shipgate.config.yaml'));
    const { metafile } = buildLambdaBundles(document);
    for (const [out, output] of Object.entries(metafile.outputs)) {
      const external = output.imports.filter((i) => i.external).map((i) => i.path);
      expect({ out, external: external.filter((p) => p.startsWith('@aws-sdk/')) }).toEqual({
        out,
        external: [],
      });
    }
  });

  it('carries only the AWS SDK clients a function uses (each costs cold-start time)', () => {
    const { document } = readConfigDocument(join(REPO_ROOT, 'shipgate.config.yaml'));
    const { metafile } = buildLambdaBundles(document);
    const clients = (name: BundleName) => {
      const [, output] = Object.entries(metafile.outputs).find(([out]) => out.endsWith(`${name}/index.js`))!;
      return [
        ...new Set(
          Object.keys(output.inputs)
            .map((p) => /node_modules\/@aws-sdk\/(client-[a-z0-9-]+|lib-dynamodb)\//.exec(p)?.[1])
            .filter((c): c is string => Boolean(c)),
        ),
      ].sort();
    };
    // The webhook and approval routes talk to Step Functions and DynamoDB (Secrets Manager via Powertools);
    // POST /api/rollbacks starts the rollback state machine (Step Functions); a pause decision calls ECS's
    // ContinueServiceDeployment (and DescribeServiceDeployments to check the hook still waits), with STS
    // AssumeRole for an environment in its own account (issue 29).
    expect(clients('http')).toEqual([
      'client-dynamodb',
      'client-ecs',
      'client-secrets-manager',
      'client-sfn',
      'client-sts',
      'lib-dynamodb',
    ]);
    expect(clients('record-release')).not.toContain('client-ecs');
    // The follow-up function tells chat and GitLab; it decides nothing in ECS or Step Functions.
    expect(clients('follow-up')).not.toContain('client-ecs');
    expect(clients('start-rollout')).toEqual(expect.arrayContaining(['client-ecs']));
  });

  it('hands the HTTP function’s chat and GitLab follow-ups off: neither client is in its bundle', () => {
    const { document } = readConfigDocument(join(REPO_ROOT, 'shipgate.config.yaml'));
    const { metafile } = buildLambdaBundles(document);
    const sources = (name: BundleName) => {
      const [, output] = Object.entries(metafile.outputs).find(([out]) => out.endsWith(`${name}/index.js`))!;
      return Object.entries(output.inputs)
        .filter(([, i]) => i.bytesInOutput > 0)
        .map(([p]) => p);
    };
    const http = sources('http');
    // GIVEN the HTTP bundle THEN it has the hand-off and none of the GitLab client, chat delivery or runner
    expect(http).toContain('lambdas/domain/followups/hand-off.ts');
    expect(
      http.filter((p) =>
        /lambdas\/domain\/(gitlab\/|chat\/(deliver|slack-api)\.ts|followups\/run\.ts)/.test(p),
      ),
    ).toEqual([]);
    // AND the follow-up function runs them, with no hand-off of its own
    const followUp = sources('follow-up');
    expect(followUp).toEqual(
      expect.arrayContaining(['lambdas/domain/followups/run.ts', 'lambdas/domain/gitlab/rest.ts']),
    );
    // AND no bundle carries gitbeaker (replaced by lambdas/domain/gitlab/rest.ts)
    for (const [out, output] of Object.entries(metafile.outputs)) {
      const beaker = Object.keys(output.inputs).filter((p) => p.includes('@gitbeaker/'));
      expect({ out, beaker }).toEqual({ out, beaker: [] });
    }
    const code = readFileSync(join(bundles.HttpFunction, 'index.js'), 'utf8');
    expect(code).toContain('x-amz-invocation-type');
  });

  it('leaves out yaml: a bundle never reads a config file, so the parser would be dead weight', () => {
    for (const [name, dir] of Object.entries(bundles)) {
      const code = readFileSync(join(dir, 'index.js'), 'utf8');
      // yaml's parser would bring its error class with it; what stays is the one lazy require, never reached.
      expect({ name, yamlParser: code.includes('YAMLParseError') }).toEqual({ name, yamlParser: false });
    }
  });

  it('explains bad input in English and carries no other language (zod locales are left out)', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require(join(bundles.ResolveReleaseFunction, 'index.js')) as {
      handler: (event: unknown) => Promise<unknown>;
    };
    await expect(handler({ release: { id: 42 } })).rejects.toThrow(
      /Resolve release input is invalid:[\s\S]*release\.id: Invalid input: expected string, received number/,
    );
    for (const [name, dir] of Object.entries(bundles)) {
      const code = readFileSync(join(dir, 'index.js'), 'utf8');
      // Words of zod's German and French messages.
      expect({ name, otherLocales: /Ungültig|invalide/.test(code) }).toEqual({ name, otherLocales: false });
    }
  });

  it('inlines the config, so a bundle runs without any config file', async () => {
    const saved = process.env.SHIPGATE_CONFIG;
    process.env.SHIPGATE_CONFIG = '/nonexistent/shipgate.config.yaml';
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { handler } = require(join(bundles.ResolveReleaseFunction, 'index.js')) as {
        handler: (event: unknown) => Promise<unknown>;
      };
      const release = {
        id: 'r1',
        project: { id: 1, path: 'root/api-gateway' },
        commit: { sha: 'a'.repeat(40), title: 't' },
        ref: 'main',
        tag: false,
        pipeline: { id: 1 },
        triggeredBy: { username: 'alice' },
        services: ['api-gateway'],
        environments: ['qa'],
        deliveryId: 'd',
        createdAt: '2026-01-01T00:00:00Z',
      };
      // The environment check reads the inlined config before any AWS call.
      await expect(handler({ release })).rejects.toThrow(
        'Unknown environment "qa"; configured: staging, production',
      );
    } finally {
      if (saved === undefined) delete process.env.SHIPGATE_CONFIG;
      else process.env.SHIPGATE_CONFIG = saved;
    }
  });
});
