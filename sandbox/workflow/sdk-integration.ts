import { request } from 'node:http';
import { STATE_MACHINE_KEY_ID } from '../aws/accounts';

const TARGETS: Record<string, { prefix: string; camelCase: boolean; version: string }> = {
  ecs: { prefix: 'AmazonEC2ContainerServiceV20141113', camelCase: true, version: '1.1' },
  ecr: { prefix: 'AmazonEC2ContainerRegistry_V20150921', camelCase: true, version: '1.1' },
  codedeploy: { prefix: 'CodeDeploy_20141006', camelCase: true, version: '1.1' },
  sfn: { prefix: 'AWSStepFunctions', camelCase: true, version: '1.0' },
  ssm: { prefix: 'AmazonSSM', camelCase: false, version: '1.1' },
  dynamodb: { prefix: 'DynamoDB_20120810', camelCase: false, version: '1.0' },
};

/** Error of a failed service integration, named like Step Functions names them (`Ecs.ServiceNotFoundException`). */
export class ServiceIntegrationError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

function rekey(value: unknown, first: (c: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => rekey(v, first));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        first(k.charAt(0)) + k.slice(1),
        rekey(v, first),
      ]),
    );
  }
  return value;
}

/**
 * Performs a Step Functions service integration (`arn:aws:states:::aws-sdk:<service>:<action>` or the
 * optimized `arn:aws:states:::dynamodb:<action>`) against the sandbox's AWS endpoint, converting the
 * PascalCase parameters Step Functions uses to the API's member names and back.
 */
export function localSdkIntegration(endpointPort: () => number) {
  return async (service: string, action: string, parameters: unknown): Promise<unknown> => {
    const target = TARGETS[service];
    if (!target) {
      throw new ServiceIntegrationError(
        'States.Runtime',
        `The sandbox cannot run the ${service}:${action} integration; it emulates ${Object.keys(TARGETS).join(', ')}.`,
      );
    }
    const operation = action.charAt(0).toUpperCase() + action.slice(1);
    const body = JSON.stringify(
      target.camelCase ? rekey(parameters ?? {}, (c) => c.toLowerCase()) : (parameters ?? {}),
    );
    const { status, text } = await new Promise<{ status: number; text: string }>((resolveCall, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: endpointPort(),
          method: 'POST',
          path: '/',
          headers: {
            'content-type': `application/x-amz-json-${target.version}`,
            'x-amz-target': `${target.prefix}.${operation}`,
            // Well-formed SigV4 headers (dynalite checks their shape; nothing here checks signatures).
            'x-amz-date': new Date()
              .toISOString()
              .replace(/[-:]/g, '')
              .replace(/\.\d{3}/, ''),
            authorization: `AWS4-HMAC-SHA256 Credential=${STATE_MACHINE_KEY_ID}/${new Date().toISOString().slice(0, 10).replace(/-/g, '')}/us-east-1/${service}/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`,
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolveCall({ status: res.statusCode ?? 500, text: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const prefix = service === 'dynamodb' ? 'DynamoDB' : service.charAt(0).toUpperCase() + service.slice(1);
    if (status >= 400) {
      const type = String(parsed.__type ?? 'ServiceException')
        .split('#')
        .pop();
      throw new ServiceIntegrationError(
        `${prefix}.${type}`,
        String(parsed.message ?? parsed.Message ?? text),
      );
    }
    return target.camelCase ? rekey(parsed, (c) => c.toUpperCase()) : parsed;
  };
}
