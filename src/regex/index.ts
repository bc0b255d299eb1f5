// RE2 syntax (as Go's regexp/syntax parses it) translated to JavaScript RegExp source.
export { translateRE2, RE2SyntaxError } from './re2.js';
export type { TranslateOptions, Translation } from './re2.js';
