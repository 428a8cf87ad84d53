/** One problem in a config file: where (YAML path, and line when known) and which rule. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
  readonly line?: number;
}

export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  readonly file: string;
  constructor(file: string, issues: readonly ConfigIssue[]) {
    super(`${file}: invalid configuration\n${issues.map(formatIssue).join('\n')}`);
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.path === '' ? '(root)' : issue.path;
  return `  ${where}${issue.line ? ` (line ${issue.line})` : ''}: ${issue.message}`;
}

/** ['services', 1, 'routes', 0] → services[1].routes[0] */
export function formatPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? s : `.${s}`;
  }
  return out;
}
