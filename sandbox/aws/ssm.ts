import { JsonStore } from '../store';
import {
  AwsServiceEmulator,
  AwsServiceError,
  SANDBOX_ACCOUNT,
  SANDBOX_REGION,
  epochSeconds,
  requireString,
} from './protocol';
import { paginateUnordered } from './variation';

/** A stored parameter. */
export interface StoredParameter {
  Name: string;
  Type: 'String' | 'StringList' | 'SecureString';
  Value: string;
  Version: number;
  LastModifiedDate: number;
  DataType: string;
}

/** Persistent SSM state. */
export interface SsmState {
  parameters: Record<string, StoredParameter>;
}

/** Emulated SSM Parameter Store: `PutParameter`, `GetParameter`, `GetParametersByPath`. */
export class SsmEmulator implements AwsServiceEmulator {
  readonly targetPrefix = 'AmazonSSM';
  readonly contentType = 'application/x-amz-json-1.1';
  readonly operations;

  constructor(
    private readonly store: JsonStore<SsmState>,
    /** The account whose parameters these are. */
    readonly account = SANDBOX_ACCOUNT,
  ) {
    this.operations = {
      PutParameter: (i: Record<string, unknown>) => this.putParameter(i),
      GetParameter: (i: Record<string, unknown>) => this.getParameter(i),
      GetParametersByPath: (i: Record<string, unknown>) => this.getParametersByPath(i),
    };
  }

  private json(p: StoredParameter) {
    const name = p.Name.startsWith('/') ? p.Name : `/${p.Name}`;
    return {
      ...p,
      ARN: `arn:aws:ssm:${SANDBOX_REGION}:${this.account}:parameter${name}`,
    };
  }

  /** Creates or (with `Overwrite`) replaces a parameter. */
  putParameter(input: Record<string, unknown>) {
    const name = requireString(input, 'Name');
    const value = input.Value;
    if (typeof value !== 'string') {
      throw new AwsServiceError(
        'ValidationException',
        `1 validation error detected: Value null at 'value' failed to satisfy constraint: Member must not be null`,
      );
    }
    if (!/^[a-zA-Z0-9_.\-/]+$/.test(name)) {
      throw new AwsServiceError(
        'ValidationException',
        `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive) and must only contain a-zA-Z0-9_.-/; received "${name}"`,
      );
    }
    const existing = this.store.data.parameters[name];
    if (existing && input.Overwrite !== true) {
      throw new AwsServiceError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    const type = (input.Type as StoredParameter['Type']) ?? existing?.Type ?? 'String';
    if (!['String', 'StringList', 'SecureString'].includes(type)) {
      throw new AwsServiceError(
        'ValidationException',
        `Type must be String, StringList or SecureString; received ${JSON.stringify(type)}`,
      );
    }
    const p: StoredParameter = {
      Name: name,
      Type: type,
      Value: value,
      Version: (existing?.Version ?? 0) + 1,
      LastModifiedDate: epochSeconds(),
      DataType: typeof input.DataType === 'string' ? input.DataType : 'text',
    };
    this.store.data.parameters[name] = p;
    this.store.changed();
    return { Version: p.Version, Tier: 'Standard' };
  }

  private getParameter(input: Record<string, unknown>) {
    const name = requireString(input, 'Name');
    const p = this.store.data.parameters[name.replace(/:\d+$/, '')];
    if (!p) throw new AwsServiceError('ParameterNotFound', `Parameter ${name} not found.`);
    return { Parameter: this.json(p) };
  }

  private getParametersByPath(input: Record<string, unknown>) {
    const path = requireString(input, 'Path');
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const recursive = input.Recursive === true;
    const matches = Object.values(this.store.data.parameters)
      .filter((p) => p.Name.startsWith(prefix) && (recursive || !p.Name.slice(prefix.length).includes('/')))
      .sort((a, b) => a.Name.localeCompare(b.Name));
    // The API reference documents no order for GetParametersByPath.
    const { page, nextToken } = paginateUnordered(matches, input.MaxResults, input.NextToken, 10);
    return { Parameters: page.map((p) => this.json(p)), NextToken: nextToken };
  }

  /** Value of a parameter, if present (for the sandbox's own use). */
  value(name: string): string | undefined {
    return this.store.data.parameters[name]?.Value;
  }
}
