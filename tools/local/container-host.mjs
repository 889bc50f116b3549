// One local Lambda container: runs a function bundle in this process as Lambda's Node.js runtime
// does, for tools/local/containers.ts. The module scope runs once (the cold start: config and
// clients from the environment given); then each `invoke` message over the IPC channel is one
// invocation of `handler`, one at a time, with a Lambda context whose remaining time runs down to
// the deadline the parent set. The parent kills this process at that deadline, as Lambda resets a
// sandbox whose invocation timed out. A `.mjs` file run by the Node 24 binary directly: no tsx, no
// global `require` (a bundle missing its banner fails here as it would in Lambda).
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [bundle, functionName = 'local', memory = '512'] = process.argv.slice(2);

let mod;
try {
  mod = await import(pathToFileURL(bundle).href);
  if (typeof mod.handler !== 'function') throw new Error(`${bundle} exports no handler`);
} catch (error) {
  // Lambda's Runtime.ImportModuleError / init failure: the parent reports it and starts no invocation.
  process.send({ type: 'init-error', error: describe(error) });
  process.disconnect();
  process.exit(1);
}
process.send({ type: 'ready' });

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  const { id, event, deadline } = message;
  const context = {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: memory,
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${process.pid}`,
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await mod.handler(event, context);
    process.send({ type: 'result', id, result: result ?? null });
  } catch (error) {
    process.send({ type: 'error', id, error: describe(error) });
  }
});

// The parent went away (or recycles this container): nothing more will be invoked here.
process.on('disconnect', () => process.exit(0));

function describe(error) {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Error', message: String(error) };
}
