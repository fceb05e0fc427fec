import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * The credential provider of every AWS SDK client in a Lambda bundle, put in place of the SDK's default chain
 * (`@aws-sdk/credential-provider-node`) by the bundler's `alias` (lib/build/lambda-bundles.ts).
 *
 * A Lambda function gets its execution role's credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`
 * and `AWS_SESSION_TOKEN` ("Defined runtime environment variables", Lambda developer guide), which is the
 * first source the default chain tries; the rest of the chain (shared config files, SSO, web identity,
 * process, container and instance metadata) can never answer there, and carries STS, SSO and sign-in
 * clients of its own: about 100 KB of every bundle, parsed at each cold start. The sandbox gives the bundles
 * credentials the same way.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]): ReturnType<typeof fromEnv> =>
  fromEnv(init);
