/**
 * One target's scrape cache, as Prometheus keeps one: the last page's lines in order, each with
 * what it became (a comment, a dropped series, a series' labels). Exporters write the same lines
 * in the same order every time, so a line is first compared with the line at its place last
 * time: a hit costs a string compare and a number parse, with no string or object made. Any other
 * line is read by parseExpositionLine, the checks parseExposition makes.
 */
import type { Appender, Labels, SeriesHandle } from '../storage.js';
import { missingEof, parseExpositionLine, parseGoFloat } from './exposition.js';
import { labelsKey } from './targets.js';

/** A series of the target after labeling; every line text that yields its labels shares it. */
interface SeriesState {
  labels: Labels;
  key: string;
  /** The scrape that last appended it (a second line with the same labels is a duplicate). */
  seen: number;
  /** The scrape that last appended it without an explicit timestamp (only those go stale). */
  tracked: number;
  /** The storage's handle of the series (Appender.appendHandle). */
  handle: SeriesHandle | undefined;
}

const COMMENT = 0;
const SERIES = 1;
/** Blank and `# EOF` lines: always read in full. */
const UNCACHED = 2;

interface CachedLine {
  /** The line without its line break (comments), or its series text (`name{labels}`). */
  text: string;
  kind: typeof COMMENT | typeof SERIES | typeof UNCACHED;
  /** The series; null when relabeling dropped it (or not a series line). */
  series: SeriesState | null;
}

const UNCACHED_LINE: CachedLine = { text: '', kind: UNCACHED, series: null };

export interface PageCounts {
  scraped: number;
  kept: number;
  added: number;
}

/** 10^0 … 10^22: the powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

export class ScrapeCache {
  private lines: CachedLine[] = [];
  /** Series by labels key: two line texts with one label set are one series. */
  private states = new Map<string, SeriesState>();
  /** Series the last successful scrape appended without explicit timestamps. */
  private tracked: SeriesState[] = [];
  private epoch = 0;
  /** The value the fast path read last. */
  private value = 0;

  /** `label` turns a series text into its labels after target labels and metric relabeling (null: dropped); it throws ExpositionError. */
  constructor(private readonly label: (text: string, lineNo: number) => Labels | null) {}

  /**
   * Appends the page's samples at `t` (or their own timestamps) and staleness markers for the
   * series of the last scrape that are missing. Throws ExpositionError on a bad page, leaving the
   * cache as it was: then roll the appender back and call staleAll().
   */
  append(app: Appender, body: string, openMetrics: boolean, t: number): PageCounts {
    const epoch = ++this.epoch;
    const prev = this.lines;
    const next: CachedLine[] = [];
    const tracked: SeriesState[] = [];
    // Built at the first line that is not where it was last time.
    let byText: Map<string, number> | undefined;
    let fresh: Map<string, CachedLine> | undefined;
    let k = 0;
    let at = 0;
    let lineNo = 0;
    let eof = false;
    let scraped = 0;
    let kept = 0;
    let added = 0;
    const sample = (s: SeriesState | null, ts: number | undefined, v: number) => {
      scraped++;
      if (s === null || s.seen === epoch) return; // dropped, or a duplicate of a series already in this page
      s.seen = epoch;
      kept++;
      if (ts === undefined) {
        if (app.appendHandle) s.handle = app.appendHandle(s.labels, s.handle, t, v);
        else app.append(s.labels, t, v);
        s.tracked = epoch;
        tracked.push(s);
      } else app.append(s.labels, ts, v); // explicit timestamps are not tracked for staleness, as in Prometheus
    };
    const len = body.length;
    while (at < len) {
      lineNo++;
      const e = prev[k];
      // a slice and === beat startsWith() several times over in V8
      if (e !== undefined && e.kind !== UNCACHED && !eof && body.slice(at, at + e.text.length) === e.text) {
        const after = at + e.text.length;
        const end = e.kind === COMMENT ? lineEnd(body, after) : this.readValue(body, after);
        if (end >= 0) {
          next.push(e);
          k++;
          at = end + 1;
          if (e.kind === SERIES) sample(e.series, undefined, this.value);
          continue;
        }
      }
      let nl = body.indexOf('\n', at);
      if (nl < 0) nl = len;
      const raw = body.slice(at, nl);
      const line = parseExpositionLine(raw, lineNo, openMetrics, eof);
      at = nl + 1;
      if (line === 'blank' || line === 'eof' || (line === 'comment' && /^# EOF\r?$/.test(raw))) {
        if (line === 'eof') eof = true;
        next.push(UNCACHED_LINE);
        if (e?.kind === UNCACHED) k++;
        continue;
      }
      byText ??= indexLines(prev);
      const text = line === 'comment' ? (raw.endsWith('\r') ? raw.slice(0, -1) : raw) : line.series;
      let entry = fresh?.get(text);
      if (entry === undefined) {
        const idx = byText.get(text);
        if (idx !== undefined) {
          entry = prev[idx];
          k = idx + 1;
        }
      }
      if (entry === undefined) {
        // a copy: a slice would keep this whole page in memory for as long as the line is cached
        const copy = Buffer.from(text, 'utf8').toString('utf8');
        if (line === 'comment') entry = { text: copy, kind: COMMENT, series: null };
        else {
          const labels = this.label(copy, lineNo);
          entry = { text: copy, kind: SERIES, series: labels ? this.state(labels) : null };
          if (labels) added++;
        }
        (fresh ??= new Map()).set(copy, entry);
      }
      next.push(entry);
      if (line !== 'comment') sample(entry.series, line.timestampMs, line.value);
    }
    if (openMetrics && !eof) throw missingEof(lineNo);
    // series of the last scrape missing from this one end now
    for (const s of this.tracked) if (s.tracked !== epoch) app.markStale(s.labels, t);
    this.tracked = tracked;
    this.lines = next;
    if (byText !== undefined) {
      // the page changed: forget the series no line yields any more
      this.states = new Map();
      for (const l of next) if (l.series) this.states.set(l.series.key, l.series);
    }
    return { scraped, kept, added };
  }

  /** Staleness markers for every series of the last scrape (it failed, or the target went away). */
  staleAll(app: Appender, t: number): void {
    for (const s of this.tracked) app.markStale(s.labels, t);
    this.tracked = [];
  }

  private state(labels: Labels): SeriesState {
    const key = labelsKey(labels);
    let s = this.states.get(key);
    if (s === undefined) this.states.set(key, (s = { labels, key, seen: 0, tracked: 0, handle: undefined }));
    return s;
  }

  /**
   * After a cached series text at `i`: blanks, a number, optional blanks and the line's end. Sets
   * this.value and returns the index of the `\n` (or the page's length); -1 for anything else
   * (a timestamp, an exemplar, a bad value), which the full parse then reads.
   */
  private readValue(s: string, i: number): number {
    const len = s.length;
    let c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) return -1;
    do c = s.charCodeAt(++i);
    while (c === 32 || c === 9);
    const from = i;
    let neg = false;
    if (c === 45 /* - */ || c === 43 /* + */) {
      neg = c === 45;
      c = s.charCodeAt(++i);
    }
    // Clinger's fast path: up to 15 digits and a power of ten up to 22 are exact, so one multiply or divide rounds correctly.
    let m = 0;
    let digits = 0;
    let frac = 0;
    while (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      c = s.charCodeAt(++i);
    }
    if (c === 46 /* . */) {
      c = s.charCodeAt(++i);
      while (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        digits++;
        frac++;
        c = s.charCodeAt(++i);
      }
    }
    let exp = 0;
    let slow = digits === 0 || digits > 15;
    if (!slow && (c === 101 || c === 69) /* e E */) {
      c = s.charCodeAt(++i);
      let expNeg = false;
      if (c === 45 || c === 43) {
        expNeg = c === 45;
        c = s.charCodeAt(++i);
      }
      let expDigits = 0;
      while (c >= 48 && c <= 57) {
        exp = exp * 10 + (c - 48);
        expDigits++;
        c = s.charCodeAt(++i);
      }
      if (expDigits === 0 || expDigits > 4) slow = true;
      if (expNeg) exp = -exp;
    }
    // the number ends at a blank or the line's end; anything else (Inf, NaN, a typo) is read slowly
    while (!(c === 32 || c === 9 || c === 10 || c === 13 || i >= len)) {
      slow = true;
      c = s.charCodeAt(++i);
    }
    const to = i;
    while (c === 32 || c === 9) c = s.charCodeAt(++i);
    const end = lineEnd(s, i);
    if (end < 0) return -1;
    const p = exp - frac;
    if (!slow && p >= -22 && p <= 22) {
      const v = p === 0 ? m : p > 0 ? m * POW10[p] : m / POW10[-p];
      this.value = neg ? -v : v;
      return end;
    }
    const v = parseGoFloat(s.slice(from, to));
    if (v === undefined) return -1;
    this.value = v;
    return end;
  }
}

/** The index of the line break if a line ends at `i` (`\n`, `\r\n`, a last `\r` or the page's end), else -1. */
function lineEnd(s: string, i: number): number {
  if (i >= s.length) return s.length;
  const c = s.charCodeAt(i);
  if (c === 10) return i;
  if (c === 13) {
    if (i + 1 >= s.length) return s.length;
    if (s.charCodeAt(i + 1) === 10) return i + 1;
  }
  return -1;
}

/** Text → place of the cached comment and series lines. */
function indexLines(lines: readonly CachedLine[]): Map<string, number> {
  const m = new Map<string, number>();
  lines.forEach((l, i) => {
    if (l.kind !== UNCACHED && !m.has(l.text)) m.set(l.text, i);
  });
  return m;
}
