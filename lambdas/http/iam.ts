import type { MiddlewareHandler } from 'hono';
import { ForbiddenError } from '../shared/errors';
import { logger } from '../shared/logger';

/**
 * The IAM identity API Gateway (HTTP API, payload 2.0) puts in `requestContext.authorizer.iam` after it verified
 * a SigV4 signature on a route with the IAM authorizer (AWS: "Control access to HTTP APIs with IAM
 * authorization"; Powertools' `APIGatewayRequestContextV2` schema lists the same fields).
 */
export interface IamCaller {
  accessKey?: string;
  accountId?: string;
  callerId?: string;
  principalOrgId?: string | null;
  userArn?: string;
  userId?: string;
}

/** The part of `hono/aws-lambda`'s bindings this middleware reads (`c.env.event`, the API Gateway event). */
interface LambdaBindings {
  event?: { requestContext?: { authorizer?: { iam?: IamCaller | null } | null } };
}

/**
 * Guards the read and operator routes (`/api/*`). How the app tells the cases apart:
 *
 * - **Behind API Gateway** (the Lambda handler: hono's `c.env.event` is the API Gateway event) the request must
 *   carry `requestContext.authorizer.iam` with the caller's `userArn`, which API Gateway sets only after it
 *   verified the SigV4 signature on a route with the IAM authorizer. Without it the app answers 403: API
 *   Gateway is the only way in, so this fires only when a route lost its authorizer (or on a direct invoke),
 *   and then the data stays closed rather than open.
 * - **Anywhere else** (the sandbox's `@hono/node-server` on loopback, `app.request()` in tests) there is no
 *   API Gateway event and the routes stay open, as the sandbox documents.
 *
 * @throws ForbiddenError (403) for an unsigned request behind API Gateway.
 */
export const requireIamBehindApiGateway: MiddlewareHandler = async (c, next) => {
  const event = (c.env as LambdaBindings | undefined)?.event;
  if (event !== undefined) {
    const iam = event.requestContext?.authorizer?.iam;
    if (!iam?.userArn) {
      throw new ForbiddenError(
        `${c.req.path} requires AWS IAM authentication: sign the request with SigV4 (service execute-api), e.g. "npx shipgate releases --url <API URL>", with credentials allowed execute-api:Invoke on it.`,
      );
    }
    logger.info('IAM caller', { path: c.req.path, method: c.req.method, userArn: iam.userArn });
  }
  await next();
};
