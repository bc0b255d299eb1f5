/**
 * Go's regexp API for match and reReplaceAll, on the shared linear-time RE2 engine
 * (src/regex): unanchored matching with regexp.Compile/MustCompile's error texts.
 */
import { compileRE2, RE2SyntaxError, type RE2 } from '../regex/index.js';
import { canBackquote, quote } from './strconv.js';

export class RegexpError extends Error {}

/** regexp.Compile; throws RegexpError. */
export function compile(pattern: string): RE2 {
  try {
    return compileRE2(pattern);
  } catch (e) {
    throw e instanceof RE2SyntaxError ? new RegexpError(e.message) : e;
  }
}

/** The panic text of regexp.MustCompile. */
export function mustCompile(pattern: string): RE2 {
  try {
    return compile(pattern);
  } catch (e) {
    const q = canBackquote(pattern) ? '`' + pattern + '`' : quote(pattern);
    throw new RegexpError(`regexp: Compile(${q}): ${(e as Error).message}`);
  }
}

export function matchString(r: RE2, s: string): boolean {
  return r.test(s);
}

/** Regexp.ReplaceAllString. */
export function replaceAllString(r: RE2, src: string, repl: string): string {
  return r.replaceAll(src, repl);
}
