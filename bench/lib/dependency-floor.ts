/**
 * A function's dependency floor: a bundle of the same packages, taken by the same imports, with
 * the same SDK clients and utilities constructed at module scope as the function's wiring
 * constructs them, and no code of ours. Its cold start is the limit the function can approach while
 * keeping those packages: what loading the SDK, Powertools and undici costs.
 *
 * The imports are read from the function's own bundle: every value import from a package (or a
 * Node built-in) in each of our source files the bundle holds, kept alive so nothing is shaken out.
 * The constructions are written here, one list per function, from its `wiring.ts` (a name the
 * function no longer imports fails the floor's bundle). The bench compares the packages of the two
 * bundles and reports any difference.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import type { PipelineFunctionName } from '../../infra/settings.js';
import { PROJECT_ROOT } from './bundle.js';

/** What the wiring constructs at module scope, per function (literal copies of its options). */
const CONSTRUCTED: Record<PipelineFunctionName, string> = {
  api: `
const aws = { customUserAgent: [['selfie-liveness', 'api']] };
const dynamodb = new DynamoDBClient(aws);
keep(DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }));
keep(DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }));
keep(new S3Client(aws));
keep(new Logger({ serviceName: 'api' }));
`,
  checker: `
const aws = {
  customUserAgent: [['selfie-liveness', 'checker']],
  requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
};
keep(new Logger({ serviceName: 'checker' }));
keep(new AgentClass({ connect: { timeout: 3000 }, headersTimeout: 10000, bodyTimeout: 10000, keepAliveTimeout: 30000 }));
keep(new LambdaClient(aws));
keep(new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient(aws) }));
keep(new S3Client({ ...aws, responseChecksumValidation: 'WHEN_REQUIRED' }));
keep(DynamoDBDocumentClient.from(new DynamoDBClient(aws), { marshallOptions: { removeUndefinedValues: true } }));
keep(new Metrics({ namespace: 'SelfieLiveness', serviceName: 'checker' }));
`,
  notifier: `
keep(new EventBridgeClient({ customUserAgent: [['selfie-liveness', 'notifier']] }));
keep(new Logger({ serviceName: 'notifier' }));
keep(new Metrics({ namespace: 'SelfieLiveness', serviceName: 'notifier' }));
`,
  sweeper: `
const aws = { customUserAgent: [['selfie-liveness', 'sweeper']] };
keep(DynamoDBDocumentClient.from(new DynamoDBClient(aws), { marshallOptions: { removeUndefinedValues: true } }));
keep(new S3Client(aws));
keep(new Logger({ serviceName: 'sweeper' }));
keep(new Metrics({ namespace: 'SelfieLiveness', serviceName: 'sweeper' }));
`,
  'token-refresher': `
keep(new SecretsManagerClient({ customUserAgent: [['selfie-liveness', 'token-refresher']] }));
keep(new AgentClass({ connect: { timeout: 3000 }, headersTimeout: 10000, bodyTimeout: 10000, keepAliveTimeout: 30000 }));
keep(new Logger({ serviceName: 'token-refresher' }));
keep(new Metrics({ namespace: 'SelfieLiveness', serviceName: 'token-refresher' }));
`,
};

/** One value import: `import { imported as local } from specifier`, or a default or namespace import. */
interface ValueImport {
  specifier: string;
  /** `default`, `*`, or the exported name. */
  imported: string;
  local: string;
}

const isOurs = (path: string) => !path.includes('node_modules/') && /\.[cm]?[jt]s$/.test(path);
const isRelative = (specifier: string) => specifier.startsWith('.') || specifier.startsWith('/');

/** The package a bundled file belongs to (`@scope/name` or `name`), from its path. */
export function packageOfPath(path: string): string | undefined {
  const at = path.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const parts = path.slice(at + 'node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** The packages a bundle holds code of, from its metafile. */
export function packagesOf(metafile: Metafile): string[] {
  const names = new Set<string>();
  for (const path of Object.keys(metafile.inputs)) {
    const name = packageOfPath(path);
    if (name) names.add(name);
  }
  return [...names].sort();
}

/** Bytes of the output that come from our own files (not node_modules). */
export function ownBytesOf(metafile: Metafile): number {
  let bytes = 0;
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      if (isOurs(path)) bytes += input.bytesInOutput;
    }
  }
  return bytes;
}

/** The value imports from packages and built-ins in one source file (type-only imports left out). */
function valueImportsOf(source: string): ValueImport[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: ValueImport[] = [];
  for (const match of code.matchAll(/^\s*import\s+(?!type\s)([\s\S]*?)\s+from\s+['"]([^'"]+)['"]/gm)) {
    const [, clause = '', specifier = ''] = match;
    if (isRelative(specifier)) continue;
    const named = /\{([\s\S]*)\}/.exec(clause)?.[1];
    const head = clause
      .replace(/\{[\s\S]*\}/, '')
      .replace(/,\s*$/, '')
      .trim();
    const namespace = /^\*\s+as\s+(\w+)$/.exec(head)?.[1];
    if (namespace) found.push({ specifier, imported: '*', local: namespace });
    else if (/^\w+$/.test(head)) found.push({ specifier, imported: 'default', local: head });
    for (const part of named?.split(',') ?? []) {
      const item = part.trim();
      if (!item || item.startsWith('type ')) continue;
      const [imported = '', local = imported] = item.split(/\s+as\s+/).map((s) => s.trim());
      found.push({ specifier, imported, local });
    }
  }
  return found;
}

/**
 * The floor's source for `fn`, from the function's bundle metafile: the same imports, the wiring's
 * constructions, an empty handler.
 */
export async function dependencyFloorSource(fn: PipelineFunctionName, metafile: Metafile): Promise<string> {
  const imports = new Map<string, ValueImport>();
  for (const path of Object.keys(metafile.inputs).filter(isOurs)) {
    for (const found of valueImportsOf(await readFile(join(PROJECT_ROOT, path), 'utf8'))) {
      const key = `${found.specifier}\0${found.imported}`;
      if ([...imports.values()].some((i) => `${i.specifier}\0${i.imported}` === key)) continue;
      // Two of our files may give one name to different imports: the later one gets a suffix.
      let local = found.local;
      for (let n = 2; imports.has(local); n++) local = `${found.local}_${n}`;
      imports.set(local, { ...found, local });
    }
  }
  const lines = [...imports.values()].map(({ specifier, imported, local }) =>
    imported === '*'
      ? `import * as ${local} from '${specifier}';`
      : imported === 'default'
        ? `import ${local} from '${specifier}';`
        : `import { ${imported} as ${local} } from '${specifier}';`,
  );
  return [
    `// The dependency floor of the ${fn} function: generated by bench/lib/dependency-floor.ts.`,
    ...lines,
    'const kept = [];',
    'const keep = (value) => kept.push(value);',
    `keep([${[...imports.keys()].join(', ')}]);`,
    CONSTRUCTED[fn].trim(),
    'globalThis.__dependencyFloor = kept;',
    'export const handler = async () => ({});',
    '',
  ].join('\n');
}
