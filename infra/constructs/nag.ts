/**
 * Flattens a resolved CloudFormation value the way cdk-nag 3 names its findings
 * (`{"Fn::GetAtt": ["Bucket", "Arn"]}` -> `<Bucket.Arn>`), so an acknowledgement can name exactly
 * the wildcard resource it accepts instead of silencing a whole rule.
 */
export function nagFinding(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (Array.isArray(value)) return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    if ('Fn::Join' in node) {
      const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
      return items.map(nagFinding).join(delimiter);
    }
    if ('Fn::Sub' in node) return nagFinding(node['Fn::Sub']);
    if ('Fn::GetAtt' in node) {
      const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${nagFinding(resource)}.${nagFinding(attribute)}>`;
    }
    if ('Fn::ImportValue' in node) return nagFinding(node['Fn::ImportValue']);
    if ('Ref' in node) return `<${nagFinding(node.Ref)}>`;
  }
  return JSON.stringify(value);
}
