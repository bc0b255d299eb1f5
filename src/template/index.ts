/**
 * Prometheus' alert template language: Go's text/template with Prometheus'
 * function map, expanded exactly as Prometheus expands alert labels and
 * annotations (rules/alerting.go): the text is prefixed with
 * {{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}
 * {{$externalURL := .ExternalURL}}{{$value := .Value}}, parsed with
 * missingkey=zero, and any error becomes "<error expanding template: ...>".
 *
 * Parse results are cached by text, so the same annotation expanded for every
 * alert of every evaluation is parsed once.
 */
import type { Sample } from '../datasource/index.js';
import { ExecError, NeedQuery, State, type Env } from './exec.js';
import { ALERT_DATA, builtins, promFuncs } from './funcs.js';
import { ParseError, isEmpty, parseTemplate, type ParsedSet } from './parse.js';
import { quote } from './strconv.js';
import { GoMap, GoStruct, MAP_STRING_STRING } from './types.js';

export type QueryFn = (expr: string) => Promise<Sample[]>; // query at the alert's evaluation time

export interface TemplateData {
  labels: Record<string, string>;
  value: number;
  externalLabels?: Record<string, string>;
  externalURL?: string;
}

export interface ExpandOptions {
  query?: QueryFn;
  /** Unix ms, for `now` and toTime. */
  now?: number;
  pathPrefix?: string;
}

/** The variables Prometheus defines before every alert template. */
export const PRELUDE = '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';

const CACHE_LIMIT = 4096;
const cache = new Map<string, ParsedSet | ParseError>();

function hasFunction(name: string): boolean {
  return promFuncs.has(name) || builtins.has(name);
}

function parse(text: string): ParsedSet | ParseError {
  let got = cache.get(text);
  if (got !== undefined) return got;
  try {
    got = parseTemplate(PRELUDE + text, hasFunction);
  } catch (e) {
    // JS stacks are shallower than Go's: nesting that exhausts them reads as Go's depth error.
    if (e instanceof RangeError) got = new ParseError('max expression depth exceeded', 1, PRELUDE.length);
    else if (e instanceof ParseError) got = e;
    else throw e;
  }
  if (cache.size >= CACHE_LIMIT) {
    // Drop the oldest quarter; annotations of a rule set are few, so this is rare.
    let n = CACHE_LIMIT / 4;
    for (const k of cache.keys()) {
      cache.delete(k);
      if (--n <= 0) break;
    }
  }
  cache.set(text, got);
  return got;
}

function parseErrorText(name: string, e: ParseError): string {
  return `template: ${name}:${e.line}: ${e.detail.split('\u0000NAME').join(name)}`;
}

/** The path of a URL as Go's url.URL.Path holds it (unescaped). */
function pathOf(url: string | undefined): string {
  if (!url) return '';
  let rest = url;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length);
  if (rest.startsWith('//')) {
    const end = rest.slice(2).search(/[/?#]/);
    rest = end < 0 ? '' : rest.slice(2 + end);
  }
  const q = rest.search(/[?#]/);
  if (q >= 0) rest = rest.slice(0, q);
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest;
  }
}

const QUERY_UNAVAILABLE = 'query is not available in this context';

/**
 * Expands one annotation/label template as Prometheus does; never throws: an
 * error becomes Prometheus' "<error expanding template: ...>" text.
 */
export async function expandTemplate(name: string, text: string, data: TemplateData, options: ExpandOptions = {}): Promise<string> {
  try {
    const parsed = parse(text);
    if (parsed instanceof ParseError) return `<error expanding template: error parsing template ${name}: ${parseErrorText(name, parsed)}>`;
    const clash = parsed.defined.get(name);
    if (clash && !isEmpty(clash.root)) {
      const e = new ParseError(`template: multiple definition of template ${quote(name)}`, parsed.endLine, parsed.endPos);
      return `<error expanding template: error parsing template ${name}: ${parseErrorText(name, e)}>`;
    }
    const env: Env = {
      now: options.now ?? Date.now(),
      externalURL: data.externalURL ?? '',
      pathPrefix: options.pathPrefix ?? pathOf(data.externalURL),
      queries: new Map(),
    };
    const dot = new GoStruct(ALERT_DATA, {
      Labels: new GoMap(MAP_STRING_STRING, data.labels),
      ExternalLabels: new GoMap(MAP_STRING_STRING, data.externalLabels ?? {}),
      ExternalURL: data.externalURL ?? '',
      Value: data.value,
    });
    for (;;) {
      try {
        return new State(parsed, name, promFuncs, builtins, env).execute(dot);
      } catch (e) {
        if (e instanceof ExecError) return `<error expanding template: error executing template ${name}: ${e.message}>`;
        if (!(e instanceof NeedQuery) || env.queries.has(e.expr)) throw e;
        // Fetch what the template asked for, then run it again; earlier queries answer from env.queries.
        if (!options.query) {
          env.queries.set(e.expr, { error: QUERY_UNAVAILABLE });
          continue;
        }
        try {
          env.queries.set(e.expr, { samples: await options.query(e.expr) });
        } catch (err) {
          env.queries.set(e.expr, { error: err instanceof Error ? err.message : String(err) });
        }
      }
    }
  } catch (e) {
    return `<error expanding template: panic expanding template ${name}: ${e instanceof Error ? e.message : String(e)}>`;
  }
}

/**
 * Parses only; returns the first error message with its position (for
 * `vigil check`), or undefined. The message is Go's, without the
 * "template: NAME:LINE: " prefix; offset is the index in text of the token at
 * fault.
 */
export function checkTemplate(text: string): { message: string; offset: number } | undefined {
  let parsed: ParsedSet | ParseError;
  try {
    parsed = parse(text);
  } catch (e) {
    return { message: e instanceof Error ? e.message : String(e), offset: 0 };
  }
  if (!(parsed instanceof ParseError)) return undefined;
  const message = parsed.detail.split(' started at \u0000NAME:').join(' started at line ');
  return { message, offset: Math.min(text.length, Math.max(0, parsed.pos - PRELUDE.length)) };
}
