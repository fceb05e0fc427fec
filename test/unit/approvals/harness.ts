import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { Hono } from 'hono';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig, setConfigForTesting, type ShipgateConfig } from '../../../lambdas/shared/config';
import { logger } from '../../../lambdas/shared/logger';
import type { Release } from '../../../lambdas/shared/release';
import { startLocalTable } from '../../helpers/dynalite';
import { startSignInRig, type SignInRig } from '../../helpers/sign-in';

/**
 * Test harness for approvals: a real DynamoDB (dynalite) on loopback so conditional writes are real, a
 * loopback "chat server" that records every incoming-webhook and response_url POST, a captured logger, and
 * the Shipgate config and secrets the tests use (all obviously fake).
 */

/** Secrets of the test environment; the leak scan looks for each of them. */
export const SECRETS = {
  linkSigningKey: 'test-link-signing-key-0123456789abcdef-FAKE',
  slackSigningSecret: 'fake0slack0signing0secret0abcdef',
  chatPath: '/hooks/T0FAKE/B0FAKE/fakeChatWebhookPathSecret',
} as const;

export const TABLE = 'shipgate-approvals-test';
export const PUBLIC_URL = 'https://shipgate.example.test';

/** The config the approval tests run with. */
export const TEST_CONFIG: ShipgateConfig = parseConfig({
  version: 1,
  projects: [{ path: 'root/api-gateway', services: ['api-gateway', 'worker'] }],
  services: { 'api-gateway': { repository: 'api-gateway' }, worker: { repository: 'worker' } },
  approvers: {
    alice: { name: 'Alice', slack: 'U01ALICE01', email: 'alice@example.com' },
    bob: { name: 'Bob', slack: 'U01BOB0001', email: 'bob@example.com' },
    carol: { name: 'Carol', email: 'carol@example.com' },
    dave: { name: 'Dave', slack: 'U01DAVE001' },
  },
  environments: [
    {
      name: 'staging',
      approval: { approvers: ['alice', 'bob'], quorum: 1, timeout: '24h', allowSelfApproval: true },
    },
    {
      name: 'production',
      approval: { approvers: ['alice', 'bob', 'carol'], quorum: 2, timeout: '1h', allowSelfApproval: false },
    },
  ],
  notifications: { chat: true },
});

/** Everything posted to the loopback chat server. */
export interface Posted {
  path: string;
  body: Record<string, unknown>;
}

/** A running harness. */
export interface Harness {
  posts: Posted[];
  /** Every line the logger wrote. */
  logs: string[];
  chatUrl: string;
  responseUrl: string;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts dynalite and the chat server, sets the environment and config, and captures the logger. */
export async function startHarness(): Promise<Harness> {
  const db = await startLocalTable(TABLE);
  const posts: Posted[] = [];
  const chat = createServer((req, res) => {
    void readBody(req).then((text) => {
      posts.push({ path: req.url ?? '', body: JSON.parse(text) as Record<string, unknown> });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => chat.listen(0, '127.0.0.1', resolve));
  const chatBase = `http://127.0.0.1:${(chat.address() as AddressInfo).port}`;

  Object.assign(process.env, db.lambdaEnv, {
    SHIPGATE_PUBLIC_URL: PUBLIC_URL,
    SHIPGATE_LINK_SIGNING_KEY: SECRETS.linkSigningKey,
    SHIPGATE_SLACK_SIGNING_SECRET: SECRETS.slackSigningSecret,
    SHIPGATE_CHAT_WEBHOOK_URL: `${chatBase}${SECRETS.chatPath}`,
  });
  delete process.env.SHIPGATE_CONSOLE_URL;
  setConfigForTesting(TEST_CONFIG);

  // Capture what the logger prints (it is silent under jest by default) so tests can scan it.
  const logs: string[] = [];
  logger.setLogLevel('DEBUG');
  const sink = (logger as unknown as { console: Record<string, (...args: unknown[]) => void> }).console;
  for (const method of ['debug', 'info', 'warn', 'error', 'log', 'trace']) {
    sink[method] = (...args: unknown[]) => logs.push(args.map(String).join(' '));
  }

  return {
    posts,
    logs,
    chatUrl: `${chatBase}${SECRETS.chatPath}`,
    responseUrl: `${chatBase}/slack-response`,
    close: async () => {
      await new Promise<void>((resolve) => chat.close(() => resolve()));
      await db.close();
      setConfigForTesting(undefined);
    },
  };
}

/** What {@link useSignedInHarness} runs for a suite; `harness` and `rig` are there once `beforeAll` has run. */
export interface SignedInHarness {
  harness: Harness;
  rig: SignInRig;
  /** Step Functions, mocked: SendTaskSuccess and SendTaskFailure resolve; reset before each test. */
  sfnMock: AwsClientStub<SFNClient>;
}

/**
 * For the whole suite: the harness, then `app` served with sign-in through a test GitLab whose users are
 * `users` (default: the approvers of the config), both closed after all tests; before each test the Step
 * Functions mock is reset so that SendTaskSuccess and SendTaskFailure resolve. `config` (default
 * {@link TEST_CONFIG}) is the config the suite runs with.
 * @example const suite = useSignedInHarness(app); // then suite.harness.posts, suite.rig.url, suite.sfnMock
 */
export function useSignedInHarness(
  app: Hono,
  options: { config?: ShipgateConfig; users?: { username: string; name: string }[] } = {},
): SignedInHarness {
  const config = options.config ?? TEST_CONFIG;
  const users =
    options.users ??
    Object.entries(config.approvers).map(([username, a]) => ({ username, name: a.name ?? username }));
  const suite = { sfnMock: mockClient(SFNClient) } as SignedInHarness;
  beforeAll(async () => {
    suite.harness = await startHarness();
    setConfigForTesting(config);
    suite.rig = await startSignInRig(app, users);
  });
  afterAll(async () => {
    await suite.rig?.close();
    await suite.harness?.close();
  });
  beforeEach(() => {
    suite.sfnMock.reset();
    suite.sfnMock.on(SendTaskSuccessCommand).resolves({});
    suite.sfnMock.on(SendTaskFailureCommand).resolves({});
  });
  return suite;
}

let counter = 0;

/** A fresh, unique fake task token (what Step Functions would put in `$$.Task.Token`). */
export function fakeTaskToken(): string {
  counter += 1;
  return `AQCEAAAAKgAAAAMAAAAAAAAAAfakeTaskToken${counter}${'x'.repeat(40)}${Date.now()}`;
}

let projectSeq = 1000;

/** A GitLab project id no other test uses (superseding is per project). */
export const freshProjectId = () => ++projectSeq;

/**
 * A release of root/api-gateway; `n` varies pipeline, commit and creation time (higher = newer). Each test
 * passes its own `projectId` so superseding in one test never touches another.
 */
export function makeRelease(n: number, projectId: number, overrides: Partial<Release> = {}): Release {
  const sha = (n.toString(16).padStart(8, '0') + 'c0ffee1234567890abcdef1234567890').slice(0, 40);
  return {
    id: `api-gateway-p${900 + n}-${sha.slice(0, 12)}`,
    project: {
      id: projectId,
      path: 'root/api-gateway',
      webUrl: 'https://gitlab.example.test/root/api-gateway',
    },
    commit: {
      sha,
      title: `Add rate limiting, part ${n}`,
      url: `https://gitlab.example.test/root/api-gateway/-/commit/${sha}`,
    },
    ref: 'main',
    tag: false,
    pipeline: { id: 900 + n, url: `https://gitlab.example.test/root/api-gateway/-/pipelines/${900 + n}` },
    triggeredBy: { username: 'erin', name: 'Erin Example', email: 'erin@example.com' },
    services: ['api-gateway', 'worker'],
    environments: ['staging', 'production'],
    deliveryId: `gitlab:${projectId}:pipeline:${900 + n}:success`,
    createdAt: new Date(Date.UTC(2026, 10, 21, 10, n)).toISOString(),
    ...overrides,
  };
}

/** The `request-approval` step payload for a release. */
export function makePayload(release: Release, environment: string, taskToken = fakeTaskToken()) {
  return {
    taskToken,
    executionArn: `arn:aws:states:eu-west-1:123456789012:execution:shipgate-release:${release.id}`,
    environment,
    release,
    resolved: {
      images: release.services.map((service, i) => ({
        service,
        repository: service,
        digest: `sha256:${String(i + 1).repeat(64)}`,
        imageUri: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${service}@sha256:${String(i + 1).repeat(64)}`,
      })),
    },
    scan: {
      passed: true,
      text: 'Scan passed: 0 critical, 2 high (limit 5), 1 allowlisted',
      counts: { CRITICAL: 0, HIGH: 2 },
    },
  };
}
