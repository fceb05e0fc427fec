import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { isShipgateHookUrl, secretsFingerprint } from '../../../lambdas/domain/gitlab/hooks';
import { run, webhookUrl } from '../../../src/cli/gitlab';
import { startFakeGitlab, type FakeGitlab, type FakeGitlabOptions } from '../../helpers/fake-gitlab';

const WEBHOOK_TOKEN = 'fake-webhook-token-for-tests-0001';
const SIGNING_KEY = 'whsec_ZmFrZS1zaWduaW5nLWtleS1mb3ItdGVzdHMtMDAwMDA=';

let gitlab: FakeGitlab;
let configFile: string;
let out: string[];

async function setup(options: FakeGitlabOptions = {}) {
  gitlab = await startFakeGitlab(options);
  gitlab.addProject({ id: 3, path_with_namespace: 'root/api-gateway', default_branch: 'main' });
  gitlab.addProject({ id: 7, path_with_namespace: 'root/shop', default_branch: 'trunk' });
  const dir = mkdtempSync(join(tmpdir(), 'shipgate-hooks-'));
  configFile = join(dir, 'shipgate.config.yaml');
  writeFileSync(
    configFile,
    stringify({
      version: 1,
      gitlab: { url: gitlab.url },
      projects: [
        { path: 'root/api-gateway', services: ['api-gateway'] },
        { path: 'root/shop', services: ['shop'], release: { branch: 'release' } },
      ],
      services: { 'api-gateway': { repository: 'api-gateway' }, shop: { repository: 'shop' } },
      approvers: { alice: {} },
      environments: [{ name: 'production', approval: { approvers: ['alice'] } }],
    }),
  );
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { SHIPGATE_GITLAB_TOKEN: gitlab.token, SHIPGATE_WEBHOOK_TOKEN: WEBHOOK_TOKEN, ...extra };
}

async function hooks(args: string[], environment = env()) {
  out = [];
  const write = (chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(write);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(write);
  try {
    return await run(['hooks', '--config', configFile, ...args], environment);
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

const printed = () => out.join('');
const writes = () => gitlab.requests.filter((r) => r.method === 'POST' || r.method === 'PUT');

afterEach(() => gitlab.stop());

describe('shipgate gitlab hooks', () => {
  it('creates the hooks, then a re-run changes nothing, then a new URL or token edits the same hook', async () => {
    await setup({ signingToken: 'supported' });
    expect(await hooks(['--url', 'https://shipgate.example.com'])).toBe(0);
    expect(printed()).toBe(
      'root/api-gateway: created hook #100 → https://shipgate.example.com/webhooks/gitlab\n' +
        'root/shop: created hook #101 → https://shipgate.example.com/webhooks/gitlab\n',
    );
    const created = gitlab.requestsTo('POST', /^\/projects\/3\/hooks$/)[0];
    expect(created.body).toMatchObject({
      url: 'https://shipgate.example.com/webhooks/gitlab',
      token: WEBHOOK_TOKEN,
      push_events: true,
      tag_push_events: true,
      merge_requests_events: true,
      pipeline_events: true,
      job_events: true,
      deployment_events: true,
      releases_events: true,
      issues_events: false,
      enable_ssl_verification: true,
      push_events_branch_filter: 'main',
      branch_filter_strategy: 'wildcard',
      name: 'Shipgate',
    });
    expect(created.body).not.toHaveProperty('signing_token');
    expect(gitlab.hooks.find((h) => h.project_id === 7)?.push_events_branch_filter).toBe('release');

    const before = writes().length;
    expect(await hooks(['--url', 'https://shipgate.example.com/webhooks/gitlab'])).toBe(0);
    expect(printed()).toBe(
      'root/api-gateway: unchanged (hook #100 already up to date)\nroot/shop: unchanged (hook #101 already up to date)\n',
    );
    expect(writes()).toHaveLength(before);

    expect(await hooks(['--url', 'https://deploy.example.com'])).toBe(0);
    expect(printed()).toContain('root/api-gateway: updated hook #100 (URL)');
    expect(gitlab.hooks).toHaveLength(2);
    expect(gitlab.hooks[0].url).toBe('https://deploy.example.com/webhooks/gitlab');

    expect(
      await hooks(
        ['--url', 'https://deploy.example.com'],
        env({ SHIPGATE_WEBHOOK_TOKEN: 'fake-rotated-token-0002' }),
      ),
    ).toBe(0);
    expect(printed()).toContain('root/api-gateway: updated hook #100 (token)');
    expect(gitlab.hooks[0].token).toBe('fake-rotated-token-0002');
    expect(printed()).not.toContain('fake-rotated-token-0002');
  });

  it('sends the signing token where GitLab supports it, and detects a change to it', async () => {
    await setup({ signingToken: 'supported' });
    expect(
      await hooks(
        ['--url', 'https://shipgate.example.com'],
        env({ SHIPGATE_WEBHOOK_SIGNING_KEY: SIGNING_KEY }),
      ),
    ).toBe(0);
    expect(gitlab.hooks[0].signing_token).toBe(SIGNING_KEY);
    expect(printed()).not.toContain('warning');
    expect(printed()).not.toContain(SIGNING_KEY);
    expect(await hooks(['--url', 'https://shipgate.example.com'])).toBe(0);
    expect(printed()).toContain('root/api-gateway: updated hook #100 (token, signing token (remove))');
  });

  it('reports, without failing, a GitLab that ignores or rejects signing tokens', async () => {
    await setup({ signingToken: 'rejected' });
    expect(
      await hooks(
        ['--url', 'https://shipgate.example.com'],
        env({ SHIPGATE_WEBHOOK_SIGNING_KEY: SIGNING_KEY }),
      ),
    ).toBe(0);
    expect(printed()).toContain('root/api-gateway: created hook #100');
    expect(printed()).toContain('warning: this GitLab does not support webhook signing tokens (HTTP 400');
    expect(gitlab.hooks[0].token).toBe(WEBHOOK_TOKEN);
    await gitlab.stop();

    await setup({ signingToken: 'ignored' });
    expect(
      await hooks(
        ['--url', 'https://shipgate.example.com'],
        env({ SHIPGATE_WEBHOOK_SIGNING_KEY: SIGNING_KEY }),
      ),
    ).toBe(0);
    expect(printed()).toContain(
      'warning: this GitLab does not support webhook signing tokens (GitLab ignored signing_token)',
    );
    // A re-run changes nothing but still says so.
    expect(
      await hooks(
        ['--url', 'https://shipgate.example.com'],
        env({ SHIPGATE_WEBHOOK_SIGNING_KEY: SIGNING_KEY }),
      ),
    ).toBe(0);
    expect(printed()).toContain('root/api-gateway: unchanged');
    expect(printed()).toContain(
      'does not support webhook signing tokens (hooks show no signing_token_present)',
    );
  });

  it('on GitLab before 17.1 (no descriptions) compares the visible settings and re-sends tokens only with --force', async () => {
    await setup({ hookDescriptions: false });
    await hooks(['--url', 'https://shipgate.example.com']);
    const before = writes().length;
    expect(await hooks(['--url', 'https://shipgate.example.com'])).toBe(0);
    expect(printed()).toContain('root/api-gateway: unchanged (hook #100 already up to date)');
    expect(printed()).toContain('pass --force to re-send the tokens');
    expect(writes()).toHaveLength(before);
    expect(await hooks(['--url', 'https://shipgate.example.com', '--force'])).toBe(0);
    expect(printed()).toContain('root/api-gateway: updated hook #100 (token (forced))');
  });

  it('fixes a hook someone changed by hand (events off, regex filter strategy)', async () => {
    await setup();
    await hooks(['--url', 'https://shipgate.example.com']);
    Object.assign(gitlab.hooks[0], { pipeline_events: false, branch_filter_strategy: 'regex' });
    expect(await hooks(['--url', 'https://shipgate.example.com'])).toBe(0);
    expect(printed()).toContain(
      'root/api-gateway: updated hook #100 (pipeline events, branch filter strategy)',
    );
    expect(gitlab.hooks[0]).toMatchObject({ pipeline_events: true, branch_filter_strategy: 'wildcard' });
  });

  it('--dry-run says what it would do and writes nothing', async () => {
    await setup();
    expect(await hooks(['--url', 'https://shipgate.example.com', '--dry-run'])).toBe(0);
    expect(printed()).toContain(
      'root/api-gateway: would create a hook → https://shipgate.example.com/webhooks/gitlab',
    );
    expect(writes()).toEqual([]);
  });

  it('warns about plain http and keeps SSL verification off only there', async () => {
    await setup();
    expect(await hooks(['--url', 'http://192.168.56.1:3000'])).toBe(0);
    expect(printed()).toContain('warning: plain http:// URL');
    expect(gitlab.hooks[0].enable_ssl_verification).toBe(false);
  });

  it('reports a project it cannot reach and exits 1, never printing tokens', async () => {
    await setup();
    gitlab.fail({ path: /^\/projects\/root\/shop$/, status: 404 });
    expect(await hooks(['--url', 'https://shipgate.example.com'])).toBe(1);
    expect(printed()).toContain('root/api-gateway: created hook');
    expect(printed()).toContain('root/shop: FAILED: project not found, or the GitLab token cannot see it');
    expect(printed()).not.toContain(gitlab.token);
    expect(printed()).not.toContain(WEBHOOK_TOKEN);
  });

  it('explains missing settings', async () => {
    await setup();
    expect(await hooks([], env())).toBe(2);
    expect(printed()).toContain('no Shipgate URL: pass --url');
    expect(await hooks(['--url', 'https://x.example.com'], { SHIPGATE_GITLAB_TOKEN: gitlab.token })).toBe(2);
    expect(printed()).toContain('set SHIPGATE_WEBHOOK_TOKEN');
    expect(await hooks(['--url', 'https://x.example.com'], { SHIPGATE_WEBHOOK_TOKEN: WEBHOOK_TOKEN })).toBe(
      2,
    );
    expect(printed()).toContain('GitLab is not configured');
    expect(await hooks(['--nope'])).toBe(2);
  });
});

describe('hook helpers', () => {
  it('recognises Shipgate hook URLs and builds the webhook URL', () => {
    expect(isShipgateHookUrl('https://a.example.com/webhooks/gitlab/')).toBe(true);
    expect(isShipgateHookUrl('https://a.example.com/other')).toBe(false);
    expect(webhookUrl(undefined, { SHIPGATE_PUBLIC_URL: 'https://s.example.com/base/' })).toBe(
      'https://s.example.com/base/webhooks/gitlab',
    );
    expect(() => webhookUrl('ftp://x')).toThrow('must be an http:// or https:// URL');
  });

  it('fingerprints secrets per project without revealing them', () => {
    const a = secretsFingerprint('root/a', { token: 't1' });
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(secretsFingerprint('root/b', { token: 't1' })).not.toBe(a);
    expect(secretsFingerprint('root/a', { token: 't2' })).not.toBe(a);
    expect(secretsFingerprint('root/a', { token: 't1' })).toBe(a);
  });
});
