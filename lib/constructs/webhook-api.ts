import { CfnOutput, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Properties of {@link WebhookApi}. */
export interface WebhookApiProps {
  /** The hono Lambda (`lambdas/http/handler.ts`) serving every route. */
  readonly handler: IFunction;
  /** Steady-state request rate limit of the stage. @default 50 */
  readonly rateLimit?: number;
  /** Burst limit of the stage. @default 100 */
  readonly burstLimit?: number;
  /** Retention of the access logs. @default logs.RetentionDays.THREE_MONTHS */
  readonly accessLogRetention?: logs.RetentionDays;
}

/**
 * Prefix of the read and operator routes (`/api/releases`, and every operator route added later). Every route
 * under it requires AWS IAM (SigV4) in AWS, whatever it is; see {@link requiresIam}.
 */
export const IAM_ROUTE_PREFIX = '/api/';

/**
 * Whether a route of {@link API_ROUTES} is behind the HTTP API's IAM authorizer: every `/api/*` route is.
 * The others (GitLab webhook, review pages and GitLab sign-in, Slack interactions, `/healthz`) are called by
 * GitLab, Slack and people in browsers, none of which can sign with SigV4; the app authenticates them itself
 * (webhook token/HMAC, GitLab OpenID Connect sign-in, Slack signatures).
 */
export function requiresIam(path: string): boolean {
  return path.startsWith(IAM_ROUTE_PREFIX) || path === IAM_ROUTE_PREFIX.slice(0, -1);
}

/** Routes of Shipgate's HTTP surface (design brief, "HTTP"), all served by the one hono Lambda. */
export const API_ROUTES: ReadonlyArray<{ path: string; methods: apigw.HttpMethod[] }> = [
  { path: '/webhooks/gitlab', methods: [apigw.HttpMethod.POST] },
  // Other methods reach the app too, so GitLab tooling gets the contract's 405 rather than a gateway 404.
  { path: '/webhooks/gitlab', methods: [apigw.HttpMethod.ANY] },
  {
    path: '/approvals/{proxy+}',
    methods: [apigw.HttpMethod.GET, apigw.HttpMethod.HEAD, apigw.HttpMethod.POST],
  },
  {
    path: '/pauses/{proxy+}',
    methods: [apigw.HttpMethod.GET, apigw.HttpMethod.HEAD, apigw.HttpMethod.POST],
  },
  // Signing in with GitLab before a vote: GET /auth/signin, GET /auth/callback, POST /auth/signout.
  { path: '/auth/{proxy+}', methods: [apigw.HttpMethod.GET, apigw.HttpMethod.POST] },
  { path: '/slack/interactions', methods: [apigw.HttpMethod.POST] },
  { path: '/api/releases', methods: [apigw.HttpMethod.GET] },
  { path: '/api/releases/{id}', methods: [apigw.HttpMethod.GET] },
  { path: '/api/rollbacks', methods: [apigw.HttpMethod.GET, apigw.HttpMethod.POST] },
  { path: '/api/rollbacks/{id}', methods: [apigw.HttpMethod.GET] },
  { path: '/api/metrics/dora', methods: [apigw.HttpMethod.GET] },
  { path: '/api/quarantines', methods: [apigw.HttpMethod.GET] },
  { path: '/api/quarantines/lift', methods: [apigw.HttpMethod.POST] },
  { path: '/healthz', methods: [apigw.HttpMethod.GET] },
];

/**
 * The public HTTP API (API Gateway v2): GitLab webhooks, approval pages, Slack interactions and the status
 * API, all proxied (payload format 2.0) to the hono Lambda, with JSON access logs and stage throttling.
 * `/api/*` routes (release status, operator actions) require AWS IAM: API Gateway verifies the caller's SigV4
 * signature and `execute-api:Invoke` permission and answers 403 itself otherwise. The other routes
 * authenticate in the app (webhook token/HMAC, signed links, Slack signatures).
 */
export class WebhookApi extends Construct {
  /** The HTTP API. */
  readonly api: apigw.HttpApi;
  /** The `$default` stage. */
  readonly stage: apigw.HttpStage;
  /** Base URL of the API, without a trailing slash. */
  readonly url: string;
  /**
   * `execute-api:Invoke` resource of every `/api/*` route, for the IAM policies of the people and tools that
   * read releases or run operator actions (also a stack output).
   */
  readonly apiRoutesInvokeArn: string;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'Shipgate: GitLab webhooks, approvals, Slack interactions and release status',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.THREE_MONTHS,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 50, burstLimit: props.burstLimit ?? 100 },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
    });
    const integration = new HttpLambdaIntegration('Handler', props.handler, {
      payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
    });
    const iam = new HttpIamAuthorizer();
    for (const route of API_ROUTES) {
      this.api.addRoutes({
        path: route.path,
        methods: route.methods,
        integration,
        ...(requiresIam(route.path) ? { authorizer: iam } : {}),
      });
    }
    this.url = this.api.apiEndpoint;
    this.apiRoutesInvokeArn = this.api.arnForExecuteApi('*', `${IAM_ROUTE_PREFIX}*`, '$default');
    // A stable key, as the docs name it (README "Stack outputs"), not one derived from the construct path.
    new CfnOutput(this, 'ApiRoutesInvokeArn', {
      value: this.apiRoutesInvokeArn,
      description:
        'Grant execute-api:Invoke on this to whoever may call /api/* (the shipgate CLI signs with SigV4)',
    }).overrideLogicalId('ApiRoutesInvokeArn');
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Every /api/* route (release status, operator actions) uses the IAM authorizer. The routes without one are called by GitLab, Slack and people following signed links, none of which can present IAM or JWT credentials; the app authenticates them itself (webhook token or HMAC signature, Slack signature, signed expiring links); /healthz returns only {ok:true}.',
    });
  }
}
