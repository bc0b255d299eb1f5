// The one entry point for user-supplied regexes (routes, silences, inhibit rules, templates,
// API filters, PromQL matchers): Go's RE2 syntax on a linear-time engine (re2js).
export { compileRE2, RE2SyntaxError } from './re2.js';
export type { RE2, RE2Options } from './re2.js';
