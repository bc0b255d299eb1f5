/**
 * The two formats a scrape reads: Prometheus' text format 0.0.4 and OpenMetrics 1.0. Each sample
 * line is split into its series text (cached per target, as Prometheus' scrape cache does) and
 * value; labels are parsed only for a series text not seen before. Hand-written: the npm parsers
 * build an object per sample and drop explicit timestamps; openmetrics.ts loads history into a
 * MemoryStore and requires a timestamp on every line.
 */

export class ExpositionError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'ExpositionError';
  }
}

export interface ScrapedLine {
  /** `name{labels}` as written: the cache key. */
  series: string;
  value: number;
  /** Explicit timestamp (ms), when the line has one. */
  timestampMs?: number;
  /** Its line number, for errors found later (labels are parsed on a cache miss). */
  line: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown', 'untyped']);

/** Go's strconv.ParseFloat for the forms the formats allow; undefined when not a number. */
export function parseGoFloat(text: string): number | undefined {
  if (!FLOAT.test(text)) return undefined;
  const t = text.toLowerCase();
  if (t.endsWith('nan')) return NaN;
  if (t.endsWith('inf') || t.endsWith('infinity')) return t.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

/** The end of the series text: after `}` of the label set, or at the first blank. */
function seriesEnd(text: string, lineNo: number): number {
  const brace = text.indexOf('{');
  let blank = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9) {
      blank = i;
      break;
    }
  }
  if (brace < 0 || brace > blank) return blank;
  let quoted = false;
  for (let i = brace + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 125 /* } */) return i + 1;
  }
  throw new ExpositionError(lineNo, 'unterminated label set: no closing "}"');
}

/** What one line of a page is: a sample, or a line that carries none. */
export type PageLine = ScrapedLine | 'blank' | 'comment' | 'eof';

/**
 * One line of a page (line break removed), checked as parseExposition checks it; `eof` says a
 * `# EOF` came before. Throws ExpositionError naming `lineNo`.
 */
export function parseExpositionLine(raw: string, lineNo: number, openMetrics: boolean, eof = false): PageLine {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (eof) {
    if (line.trim() === '') return 'blank';
    throw new ExpositionError(lineNo, 'content after "# EOF"');
  }
  if (line.trim() === '') return 'blank';
  if (line.charCodeAt(0) === 35 /* # */) {
    if (line === '# EOF' && openMetrics) return 'eof';
    const m = /^#[ \t]+(TYPE|HELP|UNIT)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
    if (!m) return 'comment';
    if (!METRIC_NAME.test(m[2])) throw new ExpositionError(lineNo, `"${m[2]}" is not a valid metric name`);
    if (m[1] === 'TYPE' && !TYPES.has((m[3] ?? '').trim())) throw new ExpositionError(lineNo, `unknown metric type "${m[3] ?? ''}" for ${m[2]}`);
    return 'comment';
  }
  const end = seriesEnd(line, lineNo);
  const series = line.slice(0, end);
  let rest = line.slice(end);
  if (openMetrics) {
    const exemplar = rest.indexOf(' # ');
    if (exemplar >= 0) rest = rest.slice(0, exemplar);
  }
  const fields = rest.split(/[ \t]+/).filter((f) => f !== '');
  if (fields.length === 0) throw new ExpositionError(lineNo, `no value after ${series}`);
  if (fields.length > 2) throw new ExpositionError(lineNo, `expected "value [timestamp]" after ${series}, got "${rest.trim()}"`);
  const value = parseGoFloat(fields[0]);
  if (value === undefined) throw new ExpositionError(lineNo, `"${fields[0]}" is not a number (after ${series})`);
  const sample: ScrapedLine = { series, value, line: lineNo };
  if (fields.length === 2) {
    if (openMetrics) {
      const seconds = parseGoFloat(fields[1]);
      if (seconds === undefined || !Number.isFinite(seconds)) throw new ExpositionError(lineNo, `"${fields[1]}" is not a timestamp in seconds`);
      sample.timestampMs = Math.round(seconds * 1000);
    } else {
      if (!/^-?\d+$/.test(fields[1])) throw new ExpositionError(lineNo, `"${fields[1]}" is not a timestamp in milliseconds`);
      sample.timestampMs = Number(fields[1]);
    }
  }
  return sample;
}

/** The error of an OpenMetrics page that ends without `# EOF`, after `lines` lines. */
export function missingEof(lines: number): ExpositionError {
  return new ExpositionError(lines + 1, 'no "# EOF" at the end of an OpenMetrics page');
}

/**
 * Parses a scraped page. `openMetrics` selects OpenMetrics' rules: timestamps in seconds, `# EOF`
 * required last, exemplars after ` # ` skipped.
 */
export function parseExposition(text: string, openMetrics: boolean): ScrapedLine[] {
  const out: ScrapedLine[] = [];
  let lineNo = 0;
  let eof = false;
  let at = 0;
  while (at < text.length) {
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    const line = parseExpositionLine(text.slice(at, nl), ++lineNo, openMetrics, eof);
    at = nl + 1;
    if (line === 'eof') eof = true;
    else if (typeof line === 'object') out.push(line);
  }
  if (openMetrics && !eof) throw missingEof(lineNo);
  return out;
}

/** The labels of a series text (`name{a="b",…}`), `__name__` included; throws ExpositionError naming `lineNo`. */
export function parseSeriesText(text: string, lineNo = 0): Record<string, string> {
  const brace = text.indexOf('{');
  const name = brace < 0 ? text : text.slice(0, brace);
  const fail = (detail: string): never => {
    throw new ExpositionError(lineNo, detail);
  };
  if (!METRIC_NAME.test(name)) fail(`"${name}" is not a valid metric name`);
  const labels: Record<string, string> = { __name__: name };
  if (brace < 0) return labels;
  const end = text.length - 1;
  let i = brace + 1;
  const skipBlanks = () => {
    while (i < end && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  skipBlanks();
  while (i < end) {
    const eq = text.indexOf('=', i);
    if (eq < 0 || eq >= end) fail(`expected label="value" in ${text}`);
    const label = text.slice(i, eq).trim();
    if (!LABEL_NAME.test(label)) fail(`"${label}" is not a valid label name in ${text}`);
    i = eq + 1;
    skipBlanks();
    if (text[i] !== '"') fail(`the value of label "${label}" is not quoted in ${text}`);
    let value = '';
    let j = i + 1;
    for (; j < end && text[j] !== '"'; j++) {
      if (text[j] !== '\\') {
        value += text[j];
        continue;
      }
      const c = text[++j];
      if (c === 'n') value += '\n';
      else if (c === '\\' || c === '"') value += c;
      else fail(`invalid escape "\\${c}" in the value of label "${label}"`);
    }
    if (text[j] !== '"') fail(`unterminated value of label "${label}" in ${text}`);
    if (label in labels) fail(`label "${label}" given twice in ${text}`);
    labels[label] = value;
    i = j + 1;
    skipBlanks();
    if (text[i] === ',') {
      i++;
      skipBlanks();
    } else if (i !== end) fail(`expected "," or "}" after label "${label}" in ${text}`);
  }
  return labels;
}
