import { AwsServiceError, requestId } from './protocol';
import type { Caller, SandboxAccounts } from './accounts';

/**
 * Emulated AWS STS, query protocol (form-encoded `Action=…&Version=2011-06-15`, XML answers; botocore's
 * `sts/2011-06-15` model and the STS API reference): `AssumeRole` and `GetCallerIdentity`.
 *
 * `AssumeRole` (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html) checks the role's
 * trust policy: the caller must be a principal it names, and when it requires an `sts:ExternalId`, the
 * request must carry that one. Otherwise, or when the role does not exist, the answer is 403 `AccessDenied`
 * ("User: <caller> is not authorized to perform: sts:AssumeRole on resource: <role>"), as AWS gives it.
 */

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** The answer of one STS request. */
export interface StsAnswer {
  status: number;
  body: string;
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const ok = (action: string, result: string): StsAnswer => ({
  status: 200,
  body: `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`,
});

/** An STS error document (`ErrorResponse`), as the query protocol returns it. */
export function stsError(code: string, message: string, status: number): StsAnswer {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return {
    status,
    body: `<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
  };
}

function validate(value: string | undefined, member: string, min: number, max: number, pattern: RegExp) {
  const fail = (constraint: string) => {
    throw new AwsServiceError(
      'ValidationError',
      `1 validation error detected: Value ${value === undefined ? 'null' : `'${value}'`} at '${member}' failed to satisfy constraint: ${constraint}`,
    );
  };
  if (value === undefined) fail('Member must not be null');
  if (value!.length < min) fail(`Member must have length greater than or equal to ${min}`);
  if (value!.length > max) fail(`Member must have length less than or equal to ${max}`);
  if (!pattern.test(value!)) fail(`Member must satisfy regular expression pattern: ${pattern.source}`);
}

function assumeRole(params: URLSearchParams, caller: Caller, accounts: SandboxAccounts): StsAnswer {
  const roleArn = params.get('RoleArn') ?? undefined;
  const sessionName = params.get('RoleSessionName') ?? undefined;
  const externalId = params.get('ExternalId') ?? undefined;
  validate(roleArn, 'roleArn', 20, 2048, /^[\t\n\r\u0020-\u007E]+$/);
  validate(sessionName, 'roleSessionName', 2, 64, /^[\w+=,.@-]*$/);
  if (externalId !== undefined) validate(externalId, 'externalId', 2, 1224, /^[\w+=,.@:/-]*$/);
  // An inline session policy (the functions narrow their sessions with one): AWS's length and characters,
  // and it must be a JSON policy document. (The sandbox keeps no IAM: what the session may do is not checked.)
  const policy = params.get('Policy') ?? undefined;
  if (policy !== undefined) {
    validate(policy, 'policy', 1, 2048, /^[\t\n\r\u0020-\u00FF]+$/);
    let document: unknown;
    try {
      document = JSON.parse(policy);
    } catch {
      document = undefined;
    }
    if (!document || typeof document !== 'object' || !('Statement' in document)) {
      throw new AwsServiceError('MalformedPolicyDocument', 'The policy is not a JSON policy document.');
    }
  }
  const durationText = params.get('DurationSeconds');
  const duration = durationText === null ? 3600 : Number(durationText);
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
    throw new AwsServiceError(
      'ValidationError',
      `1 validation error detected: Value '${durationText}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`,
    );
  }
  const role = accounts.role(roleArn!);
  const trusted =
    role && accounts.trusts(role, caller) && (!role.externalId || role.externalId === externalId);
  if (!role || !trusted) {
    throw new AwsServiceError(
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      403,
    );
  }
  if (duration > (role.maxSessionDuration ?? 3600)) {
    throw new AwsServiceError(
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }
  const session = accounts.startSession(role, sessionName!, duration);
  const c = session.keys;
  return ok(
    'AssumeRole',
    `<AssumedRoleUser><AssumedRoleId>${xmlEscape(session.caller.userId)}</AssumedRoleId><Arn>${xmlEscape(session.caller.arn)}</Arn></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${c.accessKeyId}</AccessKeyId><SecretAccessKey>${c.secretAccessKey}</SecretAccessKey><SessionToken>${c.sessionToken}</SessionToken><Expiration>${new Date(session.expiresAt).toISOString()}</Expiration></Credentials>`,
  );
}

/**
 * Answers one STS request: `body` is the form-encoded request, `accessKeyId` / `sessionToken` who signed it.
 * Unknown keys are `InvalidClientTokenId` (403), expired sessions `ExpiredToken` (403).
 */
export function handleSts(
  body: string,
  signer: { accessKeyId?: string; sessionToken?: string },
  accounts: SandboxAccounts,
): StsAnswer {
  const params = new URLSearchParams(body);
  const action = params.get('Action');
  try {
    if (!signer.accessKeyId) {
      return stsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
    }
    let caller: Caller;
    try {
      caller = accounts.identify(signer.accessKeyId, signer.sessionToken);
    } catch (err) {
      const expired = (err as AwsServiceError).type === 'ExpiredTokenException';
      return expired
        ? stsError('ExpiredToken', 'The security token included in the request is expired', 403)
        : stsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
    }
    if (action === 'GetCallerIdentity') {
      return ok(
        'GetCallerIdentity',
        `<Arn>${xmlEscape(caller.arn)}</Arn><UserId>${xmlEscape(caller.userId)}</UserId><Account>${caller.account}</Account>`,
      );
    }
    if (action === 'AssumeRole') return assumeRole(params, caller, accounts);
    return stsError(
      'InvalidAction',
      `The action ${action ?? '(none)'} is not valid for this web service; the sandbox's STS answers AssumeRole and GetCallerIdentity.`,
      400,
    );
  } catch (err) {
    if (err instanceof AwsServiceError) return stsError(err.type, err.message, err.status);
    throw err;
  }
}
