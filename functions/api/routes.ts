import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ApiError } from './validation.js';

/** The operation a request asks for. `checkId` is still unvalidated. */
export type Route = { name: 'createCheck' } | { name: 'getCheck'; checkId: string | undefined };

const ROUTES = [
  { pattern: /^\/checks\/?$/, methods: ['POST'] },
  { pattern: /^\/checks\/([^/]+)$/, methods: ['GET'] },
] as const;

/**
 * Finds the route for a request. With explicit routes API Gateway gives the `routeKey` and decoded
 * `pathParameters`; with a `$default` (proxy) route only the raw path, which also carries the stage
 * name unless the stage is `$default`. Unknown paths are 404, known paths with another method 405.
 */
export function matchRoute(
  event: Pick<APIGatewayProxyEventV2, 'routeKey' | 'rawPath' | 'pathParameters' | 'requestContext'>,
): Route {
  if (event.routeKey === 'POST /checks') return { name: 'createCheck' };
  if (event.routeKey === 'GET /checks/{checkId}') {
    return { name: 'getCheck', checkId: event.pathParameters?.checkId };
  }
  const method = event.requestContext.http.method.toUpperCase();
  const path = stripStage(event.rawPath, event.requestContext.stage);
  for (const [index, route] of ROUTES.entries()) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    if (!(route.methods as readonly string[]).includes(method)) {
      throw new ApiError('METHOD_NOT_ALLOWED', `${method} is not allowed here`, {
        allow: route.methods.join(', '),
      });
    }
    return index === 0 ? { name: 'createCheck' } : { name: 'getCheck', checkId: decodeSegment(match[1]) };
  }
  throw new ApiError('NOT_FOUND', 'no such route');
}

function stripStage(rawPath: string, stage: string): string {
  const prefix = `/${stage}`;
  if (stage !== '$default' && (rawPath === prefix || rawPath.startsWith(`${prefix}/`))) {
    return rawPath.slice(prefix.length) || '/';
  }
  return rawPath;
}

function decodeSegment(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    // Malformed percent-encoding: let the id validation answer 400.
    return segment;
  }
}
