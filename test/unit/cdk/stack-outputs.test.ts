import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../../lambdas/shared/config';
import { ShipgateStack } from '../../../lib/shipgate-stack';

// GIVEN the example config, WHEN the stack is synthesized
const config = loadConfig('shipgate.config.yaml');
const stack = new ShipgateStack(new App(), 'Shipgate', { config, code: 'placeholder' });
const outputs = Template.fromStack(stack).toJSON().Outputs as Record<string, { Value: unknown }>;
const keys = Object.keys(outputs).sort();
const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
/** `VerifyHook<Environment>Network` → one key per configured environment. */
const expand = (key: string) =>
  key.includes('<Environment>')
    ? config.environments.map((e) => key.replace('<Environment>', pascal(e.name)))
    : [key];

/** Where users read about the stack: READMEs, docs/ and the CLI's help texts. */
function documents(): Array<{ file: string; text: string }> {
  const files = [
    'README.md',
    'sandbox/README.md',
    'terraform/README.md',
    ...readdirSync('docs')
      .filter((f) => f.endsWith('.md'))
      .map((f) => join('docs', f)),
    ...readdirSync('src/cli')
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join('src/cli', f)),
  ];
  return files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

/** Output keys a text mentions: `SomethingArn|Url|Network` in backticks, "<Key> output", "output `<Key>`". */
function mentionedKeys(text: string): string[] {
  const found = [
    ...text.matchAll(/`([A-Z][A-Za-z0-9<>]*(?:Arn|Url|Network))`/g),
    ...text.matchAll(/\b([A-Z][A-Za-z0-9]*(?:Arn|Url|Network)) output\b/g),
    ...text.matchAll(/\boutput `([A-Z][A-Za-z0-9<>]*)`/g),
  ].map((m) => m[1]);
  return [...new Set(found)].flatMap(expand);
}

describe('stack outputs', () => {
  it('have fixed keys, none derived from a construct path (no hash suffix)', () => {
    expect(keys.filter((key) => /[0-9A-F]{8}$/.test(key))).toEqual([]);
    expect(keys).toEqual(
      expect.arrayContaining(['ApiRoutesInvokeArn', 'ApiUrl', 'GitLabWebhookUrl', 'WebhookTokenSecretArn']),
    );
  });

  it('are exactly the keys of README "Stack outputs"', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.split(/^### Stack outputs$/m)[1]?.split(/^#{2,3} /m)[0] ?? '';
    const documented = [...section.matchAll(/^\| `([A-Za-z0-9<>]+)` \|/gm)].flatMap((m) => expand(m[1]));
    expect(documented.sort()).toEqual(keys);
  });

  it('include every output key the docs and the CLI mention', () => {
    const docs = documents();
    // The scan finds what the docs do mention (so an empty scan cannot pass)
    expect(docs.flatMap(({ text }) => mentionedKeys(text))).toEqual(
      expect.arrayContaining(['ApiRoutesInvokeArn', 'ApiUrl', 'WebhookTokenSecretArn', 'GitLabWebhookUrl']),
    );
    const missing = docs.flatMap(({ file, text }) =>
      mentionedKeys(text)
        .filter((key) => !(key in outputs))
        .map((key) => `${file}: ${key}`),
    );
    expect(missing).toEqual([]);
  });

  it('give the webhook token secret, which the documented command reads', () => {
    const guide = readFileSync('docs/first-release.md', 'utf8');
    expect(guide).toContain(
      'aws secretsmanager get-secret-value --secret-id "$(output WebhookTokenSecretArn)" --query SecretString --output text',
    );
    // `output` reads the stack output by that exact key.
    expect(guide).toContain(`--query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text`);
    expect(outputs.WebhookTokenSecretArn.Value).toEqual({
      Ref: stack.getLogicalId(stack.secrets.secrets.webhookToken.node.defaultChild as never),
    });
  });
});
