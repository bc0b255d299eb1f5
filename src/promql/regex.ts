// Prometheus matches label regexes with Go's RE2 syntax, fully anchored and with `.` matching
// newlines (`^(?s:re)$`). The RE2 → JavaScript translation (which also rejects what RE2 rejects,
// notably lookarounds and backreferences) is shared with the template functions: src/regex.
import { RE2SyntaxError, translateRE2 } from '../regex/index.js';

export class RegexSyntaxError extends Error {}

/** Compiles a label-matcher regex the way Prometheus does: RE2 syntax, fully anchored, `.` matches newlines. */
export function compileRegex(pattern: string): RegExp {
  let t;
  try {
    t = translateRE2(pattern, { dotNL: true });
  } catch (err) {
    throw err instanceof RE2SyntaxError ? new RegexSyntaxError(err.detail) : err;
  }
  try {
    return new RegExp(`^(?:${t.source})$`, t.ignoreCase ? 'iu' : 'u');
  } catch (err) {
    const reason = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    throw new RegexSyntaxError(reason === 'Nothing to repeat' ? 'missing argument to repetition operator' : reason.toLowerCase());
  }
}
