import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** A recorded HTTP API (payload 2.0) event from `test/fixtures/http-api/`, as a fresh copy. */
export function loadEvent(name: string): APIGatewayProxyEventV2 {
  const url = new URL(`../../fixtures/http-api/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as APIGatewayProxyEventV2;
}

/** The `POST /checks` fixture with another body (and, optionally, other headers). */
export function postChecks(
  body: string | undefined,
  headers: Record<string, string | undefined> = {},
  isBase64Encoded = false,
): APIGatewayProxyEventV2 {
  const event = loadEvent('post-checks');
  if (body === undefined) delete event.body;
  else event.body = body;
  event.isBase64Encoded = isBase64Encoded;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) delete event.headers[name];
    else event.headers[name] = value;
  }
  return event;
}

/** A `$default`-route request, as a proxy integration delivers it. */
export function proxyRequest(method: string, rawPath: string): APIGatewayProxyEventV2 {
  const event = loadEvent('default-route-get-check');
  event.requestContext.http.method = method;
  event.requestContext.http.path = rawPath;
  event.requestContext.stage = '$default';
  event.rawPath = rawPath;
  return event;
}
