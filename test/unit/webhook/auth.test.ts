import {
  authenticateDelivery,
  secretsEqual,
  SIGNATURE_TOLERANCE_SECONDS,
} from '../../../lambdas/domain/webhook/auth';
import type { SecretName } from '../../../lambdas/shared/secrets';
import { FAKE_SIGNING_KEY, FAKE_WEBHOOK_TOKEN, signBody } from '../../helpers/gitlab-deliveries';

const body = '{"object_kind":"pipeline","object_attributes":{"id":4711}}';
const secrets =
  (values: Partial<Record<SecretName, string>>) =>
  async (name: SecretName): Promise<string | undefined> =>
    values[name];
const nowSeconds = 1_795_305_600; // 2026-11-22T00:00:00Z
const now = () => new Date(nowSeconds * 1000);

function signed(timestamp = nowSeconds, key = FAKE_SIGNING_KEY, id = 'b2f0c6a4-0d1e-4c55-9a61-7f1d2b8e9c01') {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signBody(key, id, timestamp, body),
  };
}

describe('secretsEqual', () => {
  it('is true only for identical strings, whatever their lengths', () => {
    expect(secretsEqual('abc', 'abc')).toBe(true);
    expect(secretsEqual('abc', 'abcd')).toBe(false);
    expect(secretsEqual(' abc ', 'abc')).toBe(false);
    expect(secretsEqual('', 'abc')).toBe(false);
    expect(secretsEqual('é', 'e\u0301')).toBe(false);
  });
});

describe('authenticateDelivery with a token', () => {
  const deps = { getSecret: secrets({ webhookToken: FAKE_WEBHOOK_TOKEN }), now };

  it('accepts the configured token', async () => {
    await expect(authenticateDelivery(body, { 'x-gitlab-token': FAKE_WEBHOOK_TOKEN }, deps)).resolves.toBe(
      'token',
    );
  });

  it('rejects a token that differs only by surrounding whitespace', async () => {
    await expect(
      authenticateDelivery(body, { 'x-gitlab-token': ` ${FAKE_WEBHOOK_TOKEN}\t` }, deps),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('rejects an empty token as missing', async () => {
    await expect(authenticateDelivery(body, { 'x-gitlab-token': '' }, deps)).rejects.toThrow(
      /Missing X-Gitlab-Token/,
    );
  });

  it('never echoes the expected token in its message', async () => {
    const err = await authenticateDelivery(body, { 'x-gitlab-token': 'wrong' }, deps).catch((e: Error) => e);
    expect(String((err as Error).message)).not.toContain(FAKE_WEBHOOK_TOKEN);
  });
});

describe('authenticateDelivery with a signing key', () => {
  const deps = {
    getSecret: secrets({ webhookSigningKey: FAKE_SIGNING_KEY, webhookToken: FAKE_WEBHOOK_TOKEN }),
    now,
  };

  // The library checks the timestamp against the real clock too, so these use the real time.
  const realDeps = { getSecret: deps.getSecret };
  const realNow = () => Math.floor(Date.now() / 1000);

  it('accepts a valid signature', async () => {
    await expect(authenticateDelivery(body, signed(realNow()), realDeps)).resolves.toBe('signature');
  });

  it('accepts a timestamp just inside the 5-minute window, either way', async () => {
    await expect(
      authenticateDelivery(body, signed(realNow() - SIGNATURE_TOLERANCE_SECONDS + 5), realDeps),
    ).resolves.toBe('signature');
    await expect(
      authenticateDelivery(body, signed(realNow() + SIGNATURE_TOLERANCE_SECONDS - 5), realDeps),
    ).resolves.toBe('signature');
  });

  it('rejects a timestamp outside the window with how far off it is', async () => {
    await expect(authenticateDelivery(body, signed(nowSeconds - 301), deps)).rejects.toThrow(
      /1795305299 is 301 s in the past/,
    );
    await expect(authenticateDelivery(body, signed(nowSeconds + 3600), deps)).rejects.toThrow(
      /3600 s in the future/,
    );
  });

  it('rejects a timestamp that is not Unix seconds', async () => {
    const headers = { ...signed(realNow()), 'webhook-timestamp': '2026-11-22T00:00:00Z' };
    await expect(authenticateDelivery(body, headers, realDeps)).rejects.toThrow(/is not Unix seconds/);
  });

  it('never falls back to the token, even a correct one, when signature headers are missing', async () => {
    await expect(
      authenticateDelivery(body, { 'x-gitlab-token': FAKE_WEBHOOK_TOKEN }, realDeps),
    ).rejects.toThrow(/webhook-id, webhook-timestamp, webhook-signature are missing/);
  });

  it('never falls back to the token when the signature is present but bad', async () => {
    const headers = {
      ...signed(realNow()),
      'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    };
    await expect(
      authenticateDelivery(body, { ...headers, 'x-gitlab-token': FAKE_WEBHOOK_TOKEN }, realDeps),
    ).rejects.toThrow(/webhook-signature does not match/);
  });

  it('rejects a signature over another webhook-id (replay under a new id)', async () => {
    const headers = { ...signed(realNow()), 'webhook-id': 'another-id' };
    await expect(authenticateDelivery(body, headers, realDeps)).rejects.toMatchObject({ status: 401 });
  });

  it('ignores non-v1 entries and accepts a matching v1 among several', async () => {
    const good = signed(realNow());
    const headers = { ...good, 'webhook-signature': `v2,zzz v1,bm9wZQ== ${good['webhook-signature']}` };
    await expect(authenticateDelivery(body, headers, realDeps)).resolves.toBe('signature');
  });

  it('answers 401 (not 500) when the configured key is not a whsec_ base64 key', async () => {
    const broken = { getSecret: secrets({ webhookSigningKey: 'whsec_***not base64***' }) };
    await expect(authenticateDelivery(body, signed(realNow()), broken)).rejects.toMatchObject({
      status: 401,
      message: expect.stringMatching(/signing key is not a valid whsec_<base64> key/),
    });
  });
});

describe('authenticateDelivery without any secret', () => {
  it('refuses with a message saying no webhook secret is configured', async () => {
    await expect(
      authenticateDelivery(body, { 'x-gitlab-token': 'anything' }, { getSecret: secrets({}) }),
    ).rejects.toMatchObject({
      status: 401,
      message: expect.stringMatching(/No webhook secret is configured/),
    });
  });
});
