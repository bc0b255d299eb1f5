/** How promtool prints a failed unit test, so that vigil test's output reads the same. */
import { compareLabels } from '../promql/index.js';

export type Labels = Record<string, string>;
export { compareLabels };

/** labels.Labels.String(): `{a="1", b="2"}`. */
export function labelsString(l: Labels): string {
  return `{${Object.keys(l)
    .sort()
    .map((k) => `${k}=${JSON.stringify(l[k])}`)
    .join(', ')}}`;
}

/** Go's strconv.FormatFloat(v, 'E', -1, 64): `3E+00`, `1.2E+02`, `NaN`, `+Inf`. */
export function formatFloatE(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const [mantissa, exp] = v.toExponential().split('e');
  const n = Number(exp);
  const sign = Object.is(v, -0) ? '-' : '';
  return `${sign}${mantissa.toUpperCase()}E${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
}

/** Go's time.Duration.String() for whole milliseconds: `0s`, `1m0s`, `1h0m0s`, `1.5s`, `500ms`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = (rest / 1000).toString();
  if (h) return `${sign}${h}h${m}m${s}s`;
  if (m) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

/** Prefixes every line but the first with `indent`, as promtool's indentLines does. */
export function indentLines(text: string, indent: string): string {
  return text.split('\n').join(`\n${indent}`);
}

export interface LabelsAndAnnotations {
  labels: Labels;
  annotations: Labels;
}

export function alertsString(list: LabelsAndAnnotations[]): string {
  if (list.length === 0) return '[]';
  const item = (a: LabelsAndAnnotations) => `Labels:${labelsString(a.labels)}\nAnnotations:${labelsString(a.annotations)}`;
  let s = `[\n0:${indentLines(`\n${item(list[0])}`, '  ')}`;
  list.slice(1).forEach((a, i) => (s += `,\n${i + 1}:${indentLines(`\n${item(a)}`, '  ')}`));
  return `${s}\n]`;
}

export function samplesString(list: { labels: Labels; value: number }[]): string {
  if (list.length === 0) return 'nil';
  return list.map((s) => `${labelsString(s.labels)} ${formatFloatE(s.value)}`).join(', ');
}
