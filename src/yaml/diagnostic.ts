/** A problem found in a rule file, pinned to the place a user has to edit. */
export interface Diagnostic {
  file: string;
  line: number; // 1-based
  column: number; // 1-based
  /** The field, as `groups[0].rules[1].for`; empty for file-level problems. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.column}`;
  const kind = d.severity === 'warning' ? 'warning: ' : '';
  return d.path ? `${where}: ${kind}${d.path}: ${d.message}` : `${where}: ${kind}${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `['groups', 0, 'rules', 1, 'for']` → `groups[0].rules[1].for` */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${p}` : p;
  }
  return out;
}
