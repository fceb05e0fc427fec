import { App, type CfnResource } from 'aws-cdk-lib';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readConfigDocument } from '../../../lib/config-document';
import { REPO_ROOT } from '../../../lib/constructs/shipgate-function';
import { ShipgateStack } from '../../../lib/shipgate-stack';

/**
 * The real esbuild bundles (as `cdk synth`/`cdk deploy` build them): every one must load in Node with only
 * the AWS SDK v3 external, and carry the validated config so it needs no file at run time.
 */
describe('Lambda bundles', () => {
  const outRoot = join(REPO_ROOT, 'cdk.out');
  mkdirSync(outRoot, { recursive: true });
  // Inside the repository so the bundles resolve the AWS SDK from node_modules, as the Lambda runtime does.
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
    const functions = [stack.httpFunction, ...Object.values(stack.stepFunctions)];
    bundles = Object.fromEntries(
      functions.map((fn) => {
        const id = stack.getLogicalId(fn.node.defaultChild as CfnResource);
        return [fn.node.scope!.node.id, join(outdir, template.Resources[id].Metadata!['aws:asset:path'])];
      }),
    );
  }, 300_000);

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('builds one bundle per function that loads and exports handler', () => {
    expect(Object.keys(bundles)).toHaveLength(15);
    for (const [name, dir] of Object.entries(bundles)) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(join(dir, 'index.js')) as { handler?: unknown };
      expect({ name, handler: typeof mod.handler }).toEqual({ name, handler: 'function' });
    }
  });

  it('loads only the AWS SDK packages a function uses (each costs cold-start time)', () => {
    const sdkPackages = (name: string) =>
      [
        ...new Set(readFileSync(join(bundles[name], 'index.js'), 'utf8').match(/@aws-sdk\/[a-z0-9-]+/g)),
      ].sort();
    // The webhook and approval routes talk to Step Functions and DynamoDB (Secrets Manager via Powertools);
    // POST /api/rollbacks starts the manual-rollback function (Lambda), never ECS itself.
    expect(sdkPackages('HttpFunction')).toEqual([
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-lambda',
      '@aws-sdk/client-secrets-manager',
      '@aws-sdk/client-sfn',
      '@aws-sdk/lib-dynamodb',
    ]);
    expect(sdkPackages('RecordReleaseFunction')).not.toContain('@aws-sdk/client-ecs');
    expect(sdkPackages('StartRolloutFunction')).toEqual(expect.arrayContaining(['@aws-sdk/client-ecs']));
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
