/**
 * A StrykerJS ignorer: no mutants inside logger calls (`logger.info(...)`, `deps.logger.warn(...)`,
 * `logger[level](...)`). Log text and log fields decide nothing about money or data, and a mutant
 * in them would only add noise to the survivors. Plain JavaScript: Stryker's worker processes load
 * plugins without tsx.
 */

/** `logger` or `<anything>.logger`. */
function isLogger(node) {
  if (node.type === 'Identifier') return node.name === 'logger';
  return (
    node.type === 'MemberExpression' && node.property.type === 'Identifier' && node.property.name === 'logger'
  );
}

export const strykerPlugins = [
  {
    kind: 'Ignore',
    name: 'LoggerCalls',
    value: {
      shouldIgnore(path) {
        if (!path.isExpressionStatement()) return undefined;
        const call = path.node.expression;
        if (call.type !== 'CallExpression' || call.callee.type !== 'MemberExpression') return undefined;
        return isLogger(call.callee.object) ? 'a log statement decides nothing' : undefined;
      },
    },
  },
];
