import { Aws, Fn, RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SECRET_ENV, type SecretName } from '../../lambdas/shared/secrets';

/** Properties of {@link ShipgateSecrets}. */
export interface ShipgateSecretsProps {
  /**
   * Prefix of the secret names, e.g. `shipgate/` gives `shipgate/webhook-token-<stack id>`.
   * @default `<stack name in lower case>/`
   */
  readonly namePrefix?: string;
  /** What happens to the secrets when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Secrets Shipgate generates itself (random values that only Shipgate needs to know); the others are created
 * holding a blank value, which `getSecret` treats as "not configured" until an operator puts the real value in.
 */
const GENERATED: ReadonlySet<SecretName> = new Set<SecretName>(['webhookToken', 'linkSigningKey']);

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The last group of the stack's id (`arn:…:stack/<name>/<uuid>`): unique to this creation of the stack.
 * Names that end in it never clash with what a deleted stack retained.
 */
export function stackCreationSuffix(): string {
  return Fn.select(4, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));
}

/**
 * One Secrets Manager secret per entry of `SECRET_ENV`. Functions get a secret's ARN in
 * `<ENV>_SECRET_ARN` and read access to it through {@link ShipgateSecrets.grantTo}, and only for the
 * secrets they use.
 *
 * The secrets are RETAINed when the stack is deleted (they hold credentials other systems were given), so
 * their names end in the stack's creation id (`<prefix>webhook-token-<12 hex>`): a secret name stays taken
 * after deletion (and for the recovery window), and a fixed name would make re-creating the stack fail with
 * "already exists". The stack outputs each secret's ARN; docs/architecture.md ("Secrets and re-creating the stack") says how to carry a retained
 * secret's value over to a new stack.
 */
export class ShipgateSecrets extends Construct {
  /** The secrets by name. */
  readonly secrets: Readonly<Record<SecretName, secretsmanager.Secret>>;

  constructor(scope: Construct, id: string, props: ShipgateSecretsProps = {}) {
    super(scope, id);
    const prefix = props.namePrefix ?? `${Stack.of(this).stackName.toLowerCase()}/`;
    const secrets = {} as Record<SecretName, secretsmanager.Secret>;
    for (const name of Object.keys(SECRET_ENV) as SecretName[]) {
      const id = name.charAt(0).toUpperCase() + name.slice(1);
      secrets[name] = new secretsmanager.Secret(this, id, {
        secretName: `${prefix}${kebab(name)}-${stackCreationSuffix()}`,
        description: `Shipgate ${SECRET_ENV[name]}${GENERATED.has(name) ? ' (generated)' : ' (blank until an operator sets it)'}`,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
        ...(GENERATED.has(name)
          ? { generateSecretString: { passwordLength: 48, excludePunctuation: true } }
          : // A single blank: Secrets Manager rejects empty strings, and getSecret() trims it to "unset".
            { secretStringValue: SecretValue.unsafePlainText(' ') }),
      });
    }
    this.secrets = secrets;
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'These are credentials issued by other systems (GitLab, Slack, the chat webhook) or shared with them (webhook token, link key); they are rotated where they are issued, so a rotation Lambda could not rotate them.',
    });
  }

  /**
   * Gives `fn` read access to each named secret and its ARN in `<ENV>_SECRET_ARN`.
   * @example secrets.grantTo(webhookFn, ['webhookToken', 'webhookSigningKey']);
   */
  grantTo(fn: LambdaFunction & IGrantable, names: readonly SecretName[]): void {
    for (const name of names) {
      this.secrets[name].grantRead(fn);
      fn.addEnvironment(`${SECRET_ENV[name]}_SECRET_ARN`, this.secrets[name].secretArn);
    }
  }
}
