import { readFile } from 'node:fs/promises';
import { parsePromQL, parseDuration } from '../promql/index.js';
import { checkTemplate } from '../template/index.js';
import { formatPath, YamlSource, type Diagnostic, type Path } from '../yaml/index.js';
import { validateRuleFileShape } from './schema.js';
import { SEVERITIES, type AlertingRule, type Rule, type RuleFile, type RuleGroup } from './types.js';
import type { Profile } from './profile.js';
import { substitute, VAR_NAME, type VarValue, type Vars } from './vars.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

export interface LoadOptions {
  /** Overrides of group vars (from `--var name=value`); applied to every group that declares the name. */
  vars?: Vars;
  /** A profile's vars: they override a group's own, and `vars` override them. */
  profile?: Profile;
  /** Where a relative `runbook` links when neither the group, `--var` nor the profile sets `runbook_base_url` (serve: its external URL). */
  runbookBaseURL?: string;
}

/** The runbooks of a `vigil serve` with the default config (server.listen 127.0.0.1:9095, no external_url): what generate links to. */
export const DEFAULT_RUNBOOK_BASE_URL = 'http://127.0.0.1:9095/runbooks';

export interface LoadResult {
  /** Set when the file has no errors. */
  file?: RuleFile;
  diagnostics: Diagnostic[];
  /** The override names some group of this file declares. */
  overridesUsed: Set<string>;
}

export async function loadRuleFile(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    return { diagnostics: [{ file: path, line: 1, column: 1, path: '', message: reason, severity: 'error' }], overridesUsed: new Set() };
  }
  return parseRuleFile(path, text, options);
}

/** Parses, validates and expands one rule file; every problem found is reported, not just the first. */
export function parseRuleFile(file: string, text: string, options: LoadOptions = {}): LoadResult {
  return new RuleFileChecker(new YamlSource(file, text), options.vars ?? new Map(), options.profile?.vars ?? new Map(), options.runbookBaseURL ?? DEFAULT_RUNBOOK_BASE_URL).run();
}

class RuleFileChecker {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly overridesUsed = new Set<string>();

  constructor(
    private readonly src: YamlSource,
    private readonly overrides: Vars,
    private readonly profile: Vars,
    private readonly runbookBaseURL: string,
  ) {}

  run(): LoadResult {
    const { src } = this;
    for (const e of [...src.doc.errors, ...src.doc.warnings]) {
      const offset = e.pos[0];
      const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      this.report(offset, [], `YAML: ${message}`, e.name === 'YAMLWarning' ? 'warning' : 'error');
    }
    if (src.doc.errors.length > 0) return this.result();

    const data: unknown = src.doc.toJS();
    if (data == null) {
      this.report(0, [], 'the file is empty; a rule file holds "groups:"', 'warning');
      return this.result({ file: src.file, groups: [] });
    }
    for (const e of validateRuleFileShape(data)) this.error(e.path, e.message, e.at);

    const groups: RuleGroup[] = [];
    const rawGroups = isRecord(data) && Array.isArray(data.groups) ? data.groups : [];
    const seen = new Set<string>();
    rawGroups.forEach((g, i) => {
      if (!isRecord(g)) return;
      const path = ['groups', i];
      if (typeof g.name === 'string') {
        if (seen.has(g.name)) this.error([...path, 'name'], `group "${g.name}" is repeated in the same file; group names must be unique`);
        seen.add(g.name);
      }
      const group = this.group(g, path);
      if (group) groups.push(group);
    });
    return this.result({ file: src.file, groups });
  }

  private group(g: Record<string, unknown>, path: Path): RuleGroup | undefined {
    for (const field of ['interval', 'query_offset'] as const) this.duration(g[field], [...path, field]);
    const vars = this.vars(g.vars, [...path, 'vars']);
    const used = new Set<string>();
    const rules: Rule[] = [];
    const rawRules = Array.isArray(g.rules) ? g.rules : [];
    rawRules.forEach((r, j) => {
      if (!isRecord(r)) return;
      const rule = this.rule(r, [...path, 'rules', j], vars, used);
      if (rule) rules.push(rule);
    });
    for (const name of vars.keys()) {
      if (!used.has(name)) this.warning([...path, 'vars', name], `variable "${name}" is never used`, 'key');
    }
    if (typeof g.name !== 'string') return undefined;
    return {
      name: g.name,
      interval: typeof g.interval === 'string' ? g.interval : undefined,
      limit: typeof g.limit === 'number' ? g.limit : undefined,
      queryOffset: typeof g.query_offset === 'string' ? g.query_offset : undefined,
      rules,
      source: this.location(path),
    };
  }

  private vars(raw: unknown, path: Path): Map<string, VarValue> {
    const vars = new Map<string, VarValue>();
    if (!isRecord(raw)) return vars;
    for (const [name, value] of Object.entries(raw)) {
      if (!VAR_NAME.test(name)) {
        this.error([...path, name], `"${name}" is not a variable name (letters, digits and _, not starting with a digit)`, 'key');
      }
      const override = this.overrides.get(name);
      if (override !== undefined) this.overridesUsed.add(name);
      const fromProfile = this.profile.get(name);
      if (fromProfile !== undefined) this.overridesUsed.add(name);
      vars.set(name, (override ?? fromProfile ?? value) as VarValue);
    }
    return vars;
  }

  private rule(r: Record<string, unknown>, path: Path, vars: Vars, used: Set<string>): Rule | undefined {
    const isAlert = r.alert !== undefined;
    const isRecord_ = r.record !== undefined;
    if (isAlert && isRecord_) this.error(path, 'a rule has either "alert" or "record", not both', 'value');
    if (!isAlert && !isRecord_) this.error(path, 'a rule needs "alert" (an alerting rule) or "record" (a recording rule)', 'value');

    if (typeof r.alert === 'string' && !METRIC_NAME.test(r.alert)) {
      this.error([...path, 'alert'], `"${r.alert}" is not a valid alert name (letters, digits, _ and :, e.g. AgentErrorRateSpike)`);
    }
    if (typeof r.record === 'string' && !METRIC_NAME.test(r.record)) {
      this.error([...path, 'record'], `"${r.record}" is not a valid metric name (letters, digits, _ and :, e.g. agent:requests:rate5m)`);
    }
    if (isRecord_ && !isAlert) {
      for (const field of ['for', 'keep_firing_for', 'annotations', 'runbook']) {
        if (r[field] !== undefined) this.error([...path, field], `"${field}" is only for alerting rules; this is a recording rule`, 'key');
      }
    }
    this.duration(r.for, [...path, 'for']);
    this.duration(r.keep_firing_for, [...path, 'keep_firing_for']);

    const expr = this.expr(r.expr, [...path, 'expr'], vars, used);
    const labels = this.templates(r.labels, [...path, 'labels'], vars, used, true);
    const annotations = this.templates(r.annotations, [...path, 'annotations'], vars, used, false);
    if (isAlert) this.severity(labels, r.labels, path);
    if (typeof r.runbook === 'string') this.runbook(r.runbook, annotations, path, vars, used);

    if (expr === undefined) return undefined;
    const source = this.location(path);
    if (typeof r.alert === 'string' && !isRecord_) {
      const rule: AlertingRule = { kind: 'alerting', alert: r.alert, expr, labels, annotations, source };
      if (typeof r.for === 'string') rule.for = r.for;
      if (typeof r.keep_firing_for === 'string') rule.keepFiringFor = r.keep_firing_for;
      return rule;
    }
    if (typeof r.record === 'string' && !isAlert) return { kind: 'recording', record: r.record, expr, labels, source };
    return undefined;
  }

  private expr(raw: unknown, path: Path, vars: Vars, used: Set<string>): string | undefined {
    if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
    const sub = substitute(String(raw), vars);
    sub.used.forEach((v) => used.add(v));
    for (const p of sub.problems) this.errorInValue(path, String(raw), p.from, p.message);
    if (sub.problems.length > 0) return undefined;
    if (sub.text.trim() === '') {
      this.error(path, 'the expression is empty');
      return undefined;
    }
    const parsed = parsePromQL(sub.text);
    for (const d of parsed.diagnostics) {
      this.errorInValue(path, String(raw), sub.toRaw(d.from), `PromQL: ${d.message}`, d.severity);
    }
    if (parsed.type && parsed.type !== 'vector' && parsed.type !== 'scalar') {
      this.error(path, `PromQL: a rule's expression must return an instant vector or a scalar, not a ${parsed.type === 'matrix' ? 'range vector' : parsed.type}`);
    }
    return parsed.diagnostics.some((d) => d.severity === 'error') ? undefined : sub.text.trim();
  }

  private templates(raw: unknown, path: Path, vars: Vars, used: Set<string>, areLabels: boolean): Record<string, string> {
    const out: Record<string, string> = {};
    if (!isRecord(raw)) return out;
    for (const [name, value] of Object.entries(raw)) {
      if (!LABEL_NAME.test(name)) {
        this.error([...path, name], `"${name}" is not a valid ${areLabels ? 'label' : 'annotation'} name (letters, digits and _, not starting with a digit)`, 'key');
      } else if (areLabels && name.startsWith('__')) {
        this.error([...path, name], `label names starting with "__" are reserved for Prometheus`, 'key');
      }
      if (value === null || typeof value === 'object') continue;
      const text = String(value);
      const sub = substitute(text, vars);
      sub.used.forEach((v) => used.add(v));
      for (const p of sub.problems) this.errorInValue([...path, name], text, p.from, p.message);
      const problem = checkTemplate(sub.text);
      if (problem !== undefined) {
        this.errorInValue([...path, name], text, sub.toRaw(problem.offset), `template: ${problem.message}`);
      }
      out[name] = sub.text;
    }
    return out;
  }

  private severity(labels: Record<string, string>, raw: unknown, path: Path): void {
    const severity = labels.severity;
    if (severity === undefined) {
      const where = isRecord(raw) ? [...path, 'labels'] : path;
      this.error(where, `alerting rules need a "severity" label: P1 (page), P2 (ticket) or P3 (observe)`);
    } else if (!(SEVERITIES as readonly string[]).includes(severity)) {
      this.error([...path, 'labels', 'severity'], `"${severity}" is not a vigil severity; use P1 (page), P2 (ticket) or P3 (observe)`);
    }
  }

  private runbook(runbook: string, annotations: Record<string, string>, path: Path, vars: Vars, used: Set<string>): void {
    if (annotations.runbook_url !== undefined) {
      this.error([...path, 'runbook'], 'set either "runbook" or the "runbook_url" annotation, not both', 'key');
      return;
    }
    if (ABSOLUTE_URL.test(runbook)) {
      annotations.runbook_url = runbook;
      return;
    }
    // the group's own var first, then --var and the profile (even for a group that does not declare it), then vigil's own runbooks
    let base = vars.get('runbook_base_url');
    if (base !== undefined) used.add('runbook_base_url');
    else {
      base = this.overrides.get('runbook_base_url') ?? this.profile.get('runbook_base_url');
      if (base !== undefined) this.overridesUsed.add('runbook_base_url');
      else base = this.runbookBaseURL;
    }
    annotations.runbook_url = `${String(base).replace(/\/+$/, '')}/${runbook.replace(/^\/+/, '')}`;
  }

  private duration(raw: unknown, path: Path): void {
    if (typeof raw !== 'string') return;
    try {
      parseDuration(raw);
    } catch (err) {
      this.error(path, (err as Error).message);
    }
  }

  private location(path: Path) {
    return { file: this.src.file, line: this.src.position(this.src.offsetOf(path)).line };
  }

  private result(file?: RuleFile): LoadResult {
    const failed = this.diagnostics.some((d) => d.severity === 'error');
    const order = (d: Diagnostic) => d.line * 1e6 + d.column;
    return { file: failed ? undefined : file, diagnostics: this.diagnostics.sort((a, b) => order(a) - order(b)), overridesUsed: this.overridesUsed };
  }

  private error(path: Path, message: string, at: 'key' | 'value' = 'value'): void {
    this.report(this.src.offsetOf(path, at), path, message, 'error');
  }

  private warning(path: Path, message: string, at: 'key' | 'value' = 'value'): void {
    this.report(this.src.offsetOf(path, at), path, message, 'warning');
  }

  /** An error at a character of a string value, mapped through block scalars to its source line. */
  private errorInValue(path: Path, raw: string, offset: number, message: string, severity: 'error' | 'warning' = 'error'): void {
    const before = raw.slice(0, offset).split('\n');
    const at = this.src.offsetInScalar(path, before.length - 1, before[before.length - 1].length);
    this.report(at, path, message, severity);
  }

  private report(offset: number, path: Path, message: string, severity: 'error' | 'warning'): void {
    const { line, column } = this.src.position(offset);
    this.diagnostics.push({ file: this.src.file, line, column, path: formatPath(path), message, severity });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
