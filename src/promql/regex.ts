// Prometheus matches label regexes with Go's RE2 syntax, fully anchored and with `.` matching
// newlines (`^(?s:re)$`), on the shared linear-time engine (src/regex).
import { compileRE2, RE2SyntaxError } from '../regex/index.js';

export class RegexSyntaxError extends Error {}

/** A compiled label-matcher regex: `test` is a full match, in time linear in the input. */
export interface LabelRegex {
  test(s: string): boolean;
  /** Go's ReplaceAllString: the (full) match replaced by `template` expanded ($1, ${name}), as label_replace does. */
  replaceAll(src: string, template: string): string;
}

/** Compiles a label-matcher regex the way Prometheus does: RE2 syntax, fully anchored, `.` matches newlines. */
export function compileRegex(pattern: string): LabelRegex {
  try {
    return compileRE2(pattern, { anchored: true, dotNL: true });
  } catch (err) {
    throw err instanceof RE2SyntaxError ? new RegexSyntaxError(err.detail) : err;
  }
}
