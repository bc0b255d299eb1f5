/** vigil's `vars` extension: `${name}` in expr, labels and annotations, replaced before anything else reads them. */

export type VarValue = string | number | boolean | (string | number)[];
export type Vars = ReadonlyMap<string, VarValue>;

export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface VarProblem {
  /** Offset of the `${` in the raw text. */
  from: number;
  message: string;
}

export interface Substitution {
  text: string;
  used: Set<string>;
  problems: VarProblem[];
  /** Maps an offset in the substituted text back to the raw text (a substituted value maps to its `${`). */
  toRaw(offset: number): number;
}

interface Segment {
  out: number;
  raw: number;
  /** Length in the output; a replaced reference maps every output offset to `raw`. */
  length: number;
  replaced: boolean;
}

const REFERENCE = /\$\$\{|\$\{([^}\n]*)(\})?/g;

export function substitute(raw: string, vars: Vars): Substitution {
  const segments: Segment[] = [];
  const used = new Set<string>();
  const problems: VarProblem[] = [];
  let text = '';
  let last = 0;
  const copy = (upTo: number) => {
    segments.push({ out: text.length, raw: last, length: upTo - last, replaced: false });
    text += raw.slice(last, upTo);
  };
  for (const m of raw.matchAll(REFERENCE)) {
    const at = m.index ?? 0;
    copy(at);
    let replacement: string;
    if (m[0] === '$${') {
      replacement = '${'; // $${ escapes a literal ${
    } else if (m[2] === undefined) {
      problems.push({ from: at, message: `unterminated variable reference "${m[0]}" (write \${name}, or $\${ for a literal \${)` });
      replacement = m[0];
    } else if (!VAR_NAME.test(m[1])) {
      problems.push({ from: at, message: `"${m[0]}" is not a variable reference (names are letters, digits and _, e.g. \${window})` });
      replacement = m[0];
    } else if (!vars.has(m[1])) {
      const known = [...vars.keys()];
      problems.push({
        from: at,
        message: `undefined variable "${m[1]}"` + (known.length ? ` (this group defines: ${known.join(', ')})` : ' (this group has no vars)'),
      });
      replacement = m[0];
    } else {
      used.add(m[1]);
      replacement = renderVar(vars.get(m[1]) as VarValue);
    }
    segments.push({ out: text.length, raw: at, length: replacement.length, replaced: true });
    text += replacement;
    last = at + m[0].length;
  }
  copy(raw.length);
  return {
    text,
    used,
    problems,
    toRaw(offset: number): number {
      for (const s of segments) {
        if (offset < s.out + s.length || s === segments[segments.length - 1]) {
          return s.replaced ? s.raw : s.raw + Math.max(0, offset - s.out);
        }
      }
      return raw.length;
    },
  };
}

/** A list renders as an RE2 alternation of its items, quoted for a PromQL double-quoted `=~` matcher. */
export function renderVar(value: VarValue): string {
  if (!Array.isArray(value)) return String(value);
  return value
    .map((item) => String(item).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'))
    .join('|')
    .replace(/\\/g, '\\\\');
}

/** Parses a `name=value` override from the command line; numbers stay numbers, `a,b` stays a string. */
export function parseVarOverride(arg: string): [string, VarValue] {
  const eq = arg.indexOf('=');
  const name = eq < 0 ? arg : arg.slice(0, eq);
  if (eq < 0 || !VAR_NAME.test(name)) {
    throw new Error(`--var "${arg}" is not name=value (e.g. --var error_ratio_threshold=0.1)`);
  }
  const value = arg.slice(eq + 1);
  return [name, value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value];
}
