import { Duration, Lazy, Names, RemovalPolicy, Token } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { API_CORS } from '../api-cors.js';
import { PipelineFunction, type PipelineFunctionOptions } from './pipeline-function.js';
import { throwIfInvalid } from './problems.js';

/** How callers of the HTTP API authenticate. */
export type LivenessApiAuth =
  /** AWS SigV4 (IAM): callers need `execute-api:Invoke` on the API. */
  | 'iam'
  /** A JWT from Cognito or any OIDC issuer, checked by an API Gateway JWT authorizer. */
  | {
      jwt: {
        /** The issuer URL (`iss`), e.g. `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`. */
        issuer: string;
        /** Accepted audiences (`aud`, or Cognito app client ids); at least one. */
        audience: string[];
      };
    };

/** Props of {@link LivenessApi}. */
export interface LivenessApiProps {
  /** The api function: issues upload URLs and reads checks. */
  readonly api: PipelineFunctionOptions;
  /**
   * How callers authenticate.
   * @default 'iam'
   */
  readonly apiAuth?: LivenessApiAuth;
  /**
   * Origins allowed to call the API from a browser (exact origins such as `https://app.example.com`):
   * preflights answered with the methods and headers of `infra/api-cors.ts`. Each is
   * `https://host[:port]` as a browser sends it (lower case, no default port, no path), or
   * `http://localhost[:port]` / `http://127.0.0.1[:port]` for development; never `*`.
   * @default - no CORS
   */
  readonly corsAllowedOrigins?: string[];
  /** Steady-state requests per second the `$default` stage accepts. */
  readonly throttleRateLimit: number;
  /** Requests the `$default` stage accepts in a burst. */
  readonly throttleBurstLimit: number;
  /** Retention of the access logs. */
  readonly accessLogRetention: logs.RetentionDays;
  /**
   * What happens to the access log group when it is removed from the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The HTTP API apps call (`POST /checks`, `GET /checks/{checkId}`): the api function, the API with
 * its authorizer, and the `$default` stage with access logs and throttling.
 *
 * A part of `LivenessPipeline`: it creates its resources directly in `scope` with fixed ids (see
 * the comment in infra/liveness-pipeline.ts), so a scope holds at most one.
 */
export class LivenessApi {
  readonly api: PipelineFunction;
  readonly httpApi: apigw.HttpApi;
  /** The log group of the HTTP API's access logs. */
  readonly accessLogGroup: logs.LogGroup;
  /** The API's `$default` stage, with access logs and throttling. */
  readonly stage: apigw.HttpStage;

  constructor(scope: Construct, props: LivenessApiProps) {
    this.api = new PipelineFunction(scope, 'Api', {
      name: 'api',
      description: 'Issues upload URLs and reads checks',
      ...props.api,
    });
    throwIfInvalid('LivenessApi', apiProblems(props));
    const auth = props.apiAuth ?? 'iam';
    const httpApi: apigw.HttpApi = new apigw.HttpApi(scope, 'HttpApi', {
      // Named after the stack and the construct path (CDK's default is the construct id, `HttpApi`,
      // the same for every pipeline); a name changes in place, the API id and URL stay.
      apiName: Lazy.string({
        produce: () =>
          Names.uniqueResourceName(httpApi, {
            maxLength: 128,
            separator: '-',
            allowedSpecialCharacters: '-_',
          }),
      }),
      description: 'Selfie liveness checks: issue uploads and read checks',
      defaultAuthorizer:
        auth === 'iam'
          ? new HttpIamAuthorizer()
          : new HttpJwtAuthorizer('JwtAuthorizer', auth.jwt.issuer, { jwtAudience: auth.jwt.audience }),
      createDefaultStage: false,
      ...(props.corsAllowedOrigins
        ? {
            // API Gateway answers preflights itself, before the authorizer (a preflight carries no
            // credentials), and adds the origin to the function's answers.
            corsPreflight: {
              allowOrigins: props.corsAllowedOrigins,
              allowMethods: API_CORS.allowMethods.map((method) => apigw.CorsHttpMethod[method]),
              allowHeaders: [...API_CORS.allowHeaders],
              exposeHeaders: [...API_CORS.exposeHeaders],
              maxAge: Duration.seconds(API_CORS.maxAgeSeconds),
            },
          }
        : {}),
    });
    this.httpApi = httpApi;
    this.accessLogGroup = new logs.LogGroup(scope, 'ApiAccessLogs', {
      retention: props.accessLogRetention,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        // HTTP API variables only (the REST API presets name some that HTTP APIs lack). No
        // `$context.identity.*` (source IP, user agent, caller): logs hold no personal data.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
    const integration = new HttpLambdaIntegration('ApiIntegration', this.api.function, {
      payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
    });
    this.httpApi.addRoutes({ path: '/checks', methods: [apigw.HttpMethod.POST], integration });
    this.httpApi.addRoutes({ path: '/checks/{checkId}', methods: [apigw.HttpMethod.GET], integration });
  }
}

/** What is wrong with the API's authentication and CORS props, each with how to fix it. */
export function apiProblems(props: Pick<LivenessApiProps, 'apiAuth' | 'corsAllowedOrigins'>): string[] {
  const problems: string[] = [];
  const auth = props.apiAuth;
  if (auth !== undefined && auth !== 'iam') {
    if (typeof auth !== 'object' || !auth.jwt) {
      problems.push(`apiAuth must be 'iam' or { jwt: { issuer, audience } }`);
    } else {
      const { issuer, audience } = auth.jwt;
      if (!Token.isUnresolved(issuer) && !/^https:\/\/\S+$/.test(issuer ?? '')) {
        problems.push(
          `apiAuth.jwt.issuer must be the https URL of the token issuer (e.g. https://cognito-idp.<region>.amazonaws.com/<userPoolId>), got "${issuer}"`,
        );
      }
      if (!Array.isArray(audience) || audience.length === 0 || audience.some((a) => !a)) {
        problems.push(
          'apiAuth.jwt.audience must list at least one audience (e.g. your Cognito app client id)',
        );
      }
    }
  }
  if (props.corsAllowedOrigins !== undefined) {
    if (props.corsAllowedOrigins.length === 0) {
      problems.push('corsAllowedOrigins must not be empty: leave it out for the default, or list origins');
    }
    for (const origin of props.corsAllowedOrigins) {
      if (!Token.isUnresolved(origin) && !isAllowedCorsOrigin(origin)) {
        problems.push(
          `corsAllowedOrigins entries must be https origins such as https://app.example.com (scheme, host and optional port: no path, no "*"), or http://localhost[:port] or http://127.0.0.1[:port] for development; got "${origin}"`,
        );
      }
    }
  }
  return problems;
}

// Plain http only for the loopback host names a browser treats as secure contexts.
const DEVELOPMENT_HOSTS = ['localhost', '127.0.0.1'];

/**
 * Whether an origin may be given CORS: `https://host[:port]`, or `http://` to a loopback name, spelled
 * as a browser sends `Origin` (lower case, no default port, nothing after the host), so that it
 * matches. `*` would let every website's scripts call the API and upload from a visitor's browser; plain
 * http lets the network rewrite the page that holds a token.
 */
function isAllowedCorsOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.origin !== origin || url.hostname.includes('*')) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && DEVELOPMENT_HOSTS.includes(url.hostname));
}
