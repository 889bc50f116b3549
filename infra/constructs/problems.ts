/** Throws one error listing every problem with a part's props, or returns when there is none. */
export function throwIfInvalid(part: string, problems: readonly string[]): void {
  if (problems.length > 0) throw new Error(`Invalid ${part} props:\n- ${problems.join('\n- ')}`);
}
