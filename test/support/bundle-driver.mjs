// Runs one function bundle in this fresh process as Lambda's Node.js runtime does: `import()` of
// its `index.mjs` (the module scope builds config and clients from the environment given), then,
// when an event file is named, one invocation of `handler` with that event and a Lambda context.
// A `.mjs` file, not `node -e`, which defines a global `require` and hides a missing banner.
// The last line of stdout is JSON: the Node version, the handler's type and the handler's result
// (the functions' own logs come before it).
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';

const [bundle, eventFile, timeoutSeconds = '30'] = process.argv.slice(2);
const mod = await import(bundle);
const out = { node: process.version, handler: typeof mod.handler };
if (eventFile && typeof mod.handler === 'function') {
  const endsAt = Date.now() + Number(timeoutSeconds) * 1000;
  const context = {
    functionName: 'bundle-driver',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bundle-driver',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/bundle-driver',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, endsAt - Date.now()),
  };
  out.result = await mod.handler(JSON.parse(await readFile(eventFile, 'utf8')), context);
}
process.stdout.write(`\n${JSON.stringify(out)}\n`);
// Lambda freezes the sandbox after the answer; kept-alive sockets must not hold this process open.
process.exit(0);
