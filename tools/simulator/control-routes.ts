/** The control interface over HTTP, for tests and tools outside the simulator's process. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, send } from './http.js';
import type { ScriptedAnswer, SimulatorControl, SimulatorVariants } from './types.js';

/** Answers a request under `/__control/`: the {@link SimulatorControl} operations over HTTP. */
export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  control: SimulatorControl,
): Promise<void> {
  const raw = await readBody(req);
  let input: unknown;
  try {
    input = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {};
  } catch {
    return send(res, { status: 400, body: { error: 'control bodies must be JSON' } });
  }
  const body = (input ?? {}) as Record<string, unknown>;
  const route = `${req.method} ${path}`;
  switch (route) {
    case 'GET /__control/state':
      return send(res, { status: 200, body: control.state() });
    case 'POST /__control/script': {
      const answers = body.answers;
      if (!Array.isArray(answers) || !answers.every(isScriptedAnswer)) {
        return send(res, {
          status: 400,
          body: {
            error:
              'expected {"answers": [{"type": "rejection"|"status"|"slow"|"drop"|"non-json"|"passed", ...}]}',
          },
        });
      }
      control.script(...answers);
      return send(res, { status: 200, body: control.state() });
    }
    case 'POST /__control/configure':
      return send(res, { status: 200, body: control.configure(body as Partial<SimulatorVariants>) });
    case 'POST /__control/reset':
      control.reset();
      return send(res, { status: 200, body: control.state() });
    case 'POST /__control/revoke-refresh-tokens':
      control.revokeRefreshTokens();
      return send(res, { status: 200, body: { revoked: true } });
    case 'POST /__control/password':
      if (typeof body.password !== 'string' || body.password === '') {
        return send(res, { status: 400, body: { error: 'expected {"password": "<the new password>"}' } });
      }
      control.changePassword(body.password);
      return send(res, { status: 200, body: { changed: true } });
    case 'POST /__control/expire-access-tokens':
      control.expireAccessTokens();
      return send(res, { status: 200, body: { expired: true } });
    default:
      return send(res, { status: 404, body: { error: `no control route ${route}` } });
  }
}

function isScriptedAnswer(value: unknown): value is ScriptedAnswer {
  if (value === null || typeof value !== 'object') return false;
  const answer = value as Record<string, unknown>;
  if (
    answer.endpoint !== undefined &&
    !['login', 'refresh', 'liveness'].includes(answer.endpoint as string)
  ) {
    return false;
  }
  if (answer.times !== undefined && !(typeof answer.times === 'number' && answer.times >= 1)) return false;
  switch (answer.type) {
    case 'rejection':
      return typeof answer.code === 'number';
    case 'status':
      return typeof answer.status === 'number' && answer.status >= 100 && answer.status <= 599;
    case 'slow':
      return typeof answer.delayMs === 'number' && answer.delayMs >= 0;
    case 'drop':
    case 'non-json':
    case 'passed':
      return true;
    default:
      return false;
  }
}
