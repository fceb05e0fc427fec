import { createHash, randomBytes } from 'node:crypto';
import { AwsServiceError, SANDBOX_ACCOUNT } from './protocol';

/**
 * Who calls the emulated AWS, as AWS tells it: the access key id of a request's SigV4 `Authorization` header
 * (`Credential=<AKID>/<date>/<region>/<service>/aws4_request`) belongs to one principal of one account, and
 * every resource a call touches is that account's. Long-term keys (`AKIA…`) are listed here; temporary ones
 * (`ASIA…`) are handed out by the emulated STS (`AssumeRole`, sts.ts) and need their session token. An
 * unknown key is refused as AWS refuses it (`UnrecognizedClientException`, STS: `InvalidClientTokenId`).
 * Signatures are not checked: the sandbox knows every secret, and nothing here is one.
 */

/** A pair of access keys. */
export interface AccessKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The principal behind a request. */
export interface Caller {
  account: string;
  /** `arn:aws:iam::<account>:user/<name>` or `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  arn: string;
  /** `GetCallerIdentity`'s `UserId`: `AIDA…` for a user, `AROA…:<session>` for a role session. */
  userId: string;
  /** For a role session, the role's ARN (`arn:aws:iam::<account>:role/<name>`), which trust policies name. */
  roleArn?: string;
}

/** Account id of the second account of the example topology (production lives there). */
export const PRODUCTION_ACCOUNT = '222222222222';

/** Name of the role Shipgate's functions run as in the sandbox (their execution role in AWS). */
export const FUNCTIONS_ROLE = 'shipgate-functions';

/**
 * The keys Shipgate's functions get (`AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` of every bundle): a
 * session of {@link FUNCTIONS_ROLE} in account 000000000000, as a Lambda execution role's credentials are.
 */
export const FUNCTIONS_KEYS: AccessKeys = {
  accessKeyId: 'AKIASHIPGATESANDBOX0',
  secretAccessKey: 'shipgate-sandbox-not-a-secret',
};

/**
 * The administrator keys of an account: `AKIA<account id>ADMN`, e.g. `AKIA222222222222ADMN` for account
 * 222222222222. What an operator uses with the `aws` CLI to look into that account.
 * @example sandboxAdminKeys('222222222222').accessKeyId // → 'AKIA222222222222ADMN'
 */
export function sandboxAdminKeys(account: string): AccessKeys {
  return { accessKeyId: `AKIA${account}ADMN`, secretAccessKey: `sandbox-${account}-admin-not-a-secret` };
}

/** The key the release state machine's service integrations (`aws-sdk:*`) sign with: its role's. */
export const STATE_MACHINE_KEY_ID = 'AKIASHIPGATESTATES00';

/** The key `shipgate` CLI commands sign with when they talk to the sandbox (`redrive`). */
export const CLI_KEYS: AccessKeys = {
  accessKeyId: 'AKIASHIPGATECLI00000',
  secretAccessKey: 'shipgate-cli-not-a-secret',
};

/** Long-term keys of account 000000000000 that tools of this repository sign with, and who they are. */
const TOOL_USERS: Record<string, string> = {
  AKIASANDBOXTEST00000: 'shipgate-tests',
  AKIASHIPGATEDEMO0000: 'shipgate-demo',
  AKIASHIPGATEHISTORY0: 'shipgate-history',
  AKIASHIPGATECLI00000: 'shipgate-cli',
  AKIASHIPGATESTATES00: 'shipgate-release-state-machine',
  AKIABENCH00000000000: 'shipgate-bench',
};

/** A role an account has, with the trust policy that says who may assume it. */
export interface SandboxRole {
  arn: string;
  /** Principals (role or user ARNs, `arn:aws:iam::<account>:root`, or account ids) the trust policy names. */
  trusted: string[];
  /** The `sts:ExternalId` the trust policy's condition requires, if any. */
  externalId?: string;
  /** `MaxSessionDuration` of the role (seconds). @default 3600 */
  maxSessionDuration?: number;
}

interface Session {
  keys: Required<AccessKeys>;
  caller: Caller;
  expiresAt: number;
}

const stableId = (prefix: string, text: string) =>
  `${prefix}${createHash('sha256').update(text).digest('hex').slice(0, 17).toUpperCase()}`;

/** The accounts of the sandbox, their keys, their roles and the sessions STS handed out. */
export class SandboxAccounts {
  private readonly keys = new Map<string, Caller>();
  private readonly sessions = new Map<string, Session>();
  private readonly roleStore = new Map<string, SandboxRole>();

  constructor(
    /** Every account the sandbox emulates; Shipgate's own (000000000000) is always one. */
    readonly accounts: readonly string[],
    private readonly clock: () => number = Date.now,
  ) {
    const functions = `arn:aws:iam::${SANDBOX_ACCOUNT}:role/${FUNCTIONS_ROLE}`;
    this.keys.set(FUNCTIONS_KEYS.accessKeyId, {
      account: SANDBOX_ACCOUNT,
      arn: `arn:aws:sts::${SANDBOX_ACCOUNT}:assumed-role/${FUNCTIONS_ROLE}/shipgate-sandbox`,
      userId: `${stableId('AROA', functions)}:shipgate-sandbox`,
      roleArn: functions,
    });
    for (const [key, name] of Object.entries(TOOL_USERS)) this.addUser(SANDBOX_ACCOUNT, key, name);
    for (const account of accounts)
      this.addUser(account, sandboxAdminKeys(account).accessKeyId, 'sandbox-admin');
  }

  private addUser(account: string, accessKeyId: string, name: string): void {
    const arn = `arn:aws:iam::${account}:user/${name}`;
    this.keys.set(accessKeyId, { account, arn, userId: stableId('AIDA', arn) });
  }

  /** Whether the sandbox emulates `account`. */
  has(account: string): boolean {
    return this.accounts.includes(account);
  }

  /**
   * The caller of a request signed with `accessKeyId` (and `sessionToken` for temporary keys).
   * @throws AwsServiceError `UnrecognizedClientException` (unknown key or token) or `ExpiredTokenException`;
   *   STS maps them to its own codes.
   */
  identify(accessKeyId: string, sessionToken: string | undefined): Caller {
    const known = this.keys.get(accessKeyId);
    if (known) return known;
    const session = this.sessions.get(accessKeyId);
    if (!session || session.keys.sessionToken !== sessionToken) {
      throw new AwsServiceError(
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    }
    if (session.expiresAt <= this.clock()) {
      throw new AwsServiceError(
        'ExpiredTokenException',
        'The security token included in the request is expired',
      );
    }
    return session.caller;
  }

  /** Creates or replaces a role (what IAM's CreateRole and UpdateAssumeRolePolicy would do). */
  putRole(role: SandboxRole): void {
    this.roleStore.set(role.arn, role);
  }

  /** Deletes a role; false when it did not exist. */
  deleteRole(arn: string): boolean {
    return this.roleStore.delete(arn);
  }

  /** A role by ARN. */
  role(arn: string): SandboxRole | undefined {
    return this.roleStore.get(arn);
  }

  /** Whether `caller` is a principal the role's trust policy names. */
  trusts(role: SandboxRole, caller: Caller): boolean {
    return role.trusted.some(
      (p) =>
        p === caller.arn ||
        p === caller.roleArn ||
        p === caller.account ||
        p === `arn:aws:iam::${caller.account}:root`,
    );
  }

  /** Hands out temporary keys of a role session (`ASIA…`) valid for `seconds`. */
  startSession(role: SandboxRole, sessionName: string, seconds: number): Session {
    const account = role.arn.split(':')[4];
    const roleName = role.arn
      .slice(role.arn.indexOf(':role/') + ':role/'.length)
      .split('/')
      .pop()!;
    const keys = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(90).toString('base64'),
    };
    const session: Session = {
      keys,
      expiresAt: this.clock() + seconds * 1000,
      caller: {
        account,
        arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
        userId: `${stableId('AROA', role.arn)}:${sessionName}`,
        roleArn: role.arn,
      },
    };
    this.sessions.set(keys.accessKeyId, session);
    for (const [id, s] of this.sessions) if (s.expiresAt <= this.clock()) this.sessions.delete(id);
    return session;
  }
}
