/** promtool's rule unit-test file (`promtool test rules`), read and checked with line-accurate errors. */
import { parseDuration } from '../promql/index.js';
import { compileSchema, formatPath, validateShape, YamlSource, type Path } from '../yaml/index.js';

export interface InputSeries {
  series: string;
  values: string;
  path: Path;
}

export interface AlertTestCase {
  evalTimeMs: number;
  alertname: string;
  expAlerts: { labels: Record<string, string>; annotations: Record<string, string> }[];
}

export interface PromQLTestCase {
  expr: string;
  evalTimeMs: number;
  expSamples: { labels: string; value: number; path: Path }[];
}

export interface TestGroup {
  name: string;
  intervalMs: number;
  inputSeries: InputSeries[];
  alertRuleTests: AlertTestCase[];
  promqlExprTests: PromQLTestCase[];
  externalLabels: Record<string, string>;
  externalURL: string;
}

export interface UnitTestFile {
  ruleFiles: string[];
  evaluationIntervalMs: number;
  groupEvalOrder: string[];
  tests: TestGroup[];
}

const duration = { type: ['string', 'integer'] };
const stringMap = { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } };

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rule_files: { type: 'array', items: { type: 'string' } },
    evaluation_interval: duration,
    group_eval_order: { type: 'array', items: { type: 'string' } },
    tests: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          interval: duration,
          input_series: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['series'],
              properties: { series: { type: 'string' }, values: { type: ['string', 'number'] } },
            },
          },
          alert_rule_test: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              properties: {
                eval_time: duration,
                alertname: { type: 'string' },
                exp_alerts: {
                  type: ['array', 'null'],
                  items: {
                    type: 'object',
                    additionalProperties: false,
                    properties: { exp_labels: { ...stringMap, type: ['object', 'null'] }, exp_annotations: { ...stringMap, type: ['object', 'null'] } },
                  },
                },
              },
            },
          },
          promql_expr_test: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              properties: {
                expr: { type: 'string' },
                eval_time: duration,
                exp_samples: {
                  type: ['array', 'null'],
                  items: {
                    type: 'object',
                    additionalProperties: false,
                    // value: checked below, as ajv refuses YAML's .nan and .inf
                    properties: { labels: { type: 'string' }, value: {} },
                  },
                },
              },
            },
          },
          external_labels: stringMap,
          external_url: { type: 'string' },
        },
      },
    },
  },
} as const;

const validate = compileSchema(schema);

/** A test file that cannot be run; `message` names the file, line and field. */
export class TestFileError extends Error {}

/** Parses a promtool unit-test file; throws TestFileError listing every problem found. */
export function parseTestFile(file: string, text: string): UnitTestFile {
  const src = new YamlSource(file, text);
  const problems: string[] = [];
  const at = (path: Path, message: string, where: 'key' | 'value' = 'value') => {
    const { line, column } = src.position(src.offsetOf(path, where));
    problems.push(`${file}:${line}:${column}: ${path.length ? `${formatPath(path)}: ` : ''}${message}`);
  };
  for (const e of src.doc.errors) {
    const { line, column } = src.position(e.pos[0]);
    problems.push(`${file}:${line}:${column}: YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  if (problems.length) throw new TestFileError(problems.join('\n'));
  const data = (src.doc.toJS() ?? {}) as Record<string, unknown>;
  for (const e of validateShape(validate, data)) at(e.path, e.message, e.at);
  if (problems.length) throw new TestFileError(problems.join('\n'));

  const dur = (path: Path, v: unknown, fallback: number): number => {
    if (v === undefined || v === null) return fallback;
    try {
      return parseDuration(String(v));
    } catch (err) {
      at(path, (err as Error).message);
      return fallback;
    }
  };
  const strings = (m: unknown): Record<string, string> => Object.fromEntries(Object.entries((m ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));

  type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- shape checked by the schema above
  const evaluationIntervalMs = dur(['evaluation_interval'], data.evaluation_interval, 60_000) || 60_000;
  const order = (data.group_eval_order ?? []) as string[];
  order.forEach((g, i) => {
    if (order.indexOf(g) !== i) at(['group_eval_order', i], `group name repeated in evaluation order: ${g}`);
  });
  const tests = ((data.tests ?? []) as Raw[]).map((t, i): TestGroup => {
    const base: Path = ['tests', i];
    return {
      name: t.name ?? '',
      // promtool: a test group's series interval defaults to the evaluation interval
      intervalMs: dur([...base, 'interval'], t.interval, evaluationIntervalMs) || evaluationIntervalMs,
      inputSeries: ((t.input_series ?? []) as Raw[]).map((s, j) => ({ series: s.series, values: String(s.values ?? ''), path: [...base, 'input_series', j] })),
      alertRuleTests: ((t.alert_rule_test ?? []) as Raw[]).map((a, j) => {
        if (!a.alertname) at([...base, 'alert_rule_test', j], `an item under alert_rule_test misses required attribute alertname at eval_time ${a.eval_time ?? '0s'}${t.name ? ` (in TestGroup ${t.name})` : ''}`);
        return {
          evalTimeMs: dur([...base, 'alert_rule_test', j, 'eval_time'], a.eval_time, 0),
          alertname: a.alertname ?? '',
          expAlerts: ((a.exp_alerts ?? []) as Raw[]).map((e) => ({ labels: strings(e.exp_labels), annotations: strings(e.exp_annotations) })),
        };
      }),
      promqlExprTests: ((t.promql_expr_test ?? []) as Raw[]).map((p, j) => ({
        expr: p.expr ?? '',
        evalTimeMs: dur([...base, 'promql_expr_test', j, 'eval_time'], p.eval_time, 0),
        expSamples: ((p.exp_samples ?? []) as Raw[]).map((s, k) => {
          const path = [...base, 'promql_expr_test', j, 'exp_samples', k];
          if (s.value !== undefined && typeof s.value !== 'number') at([...path, 'value'], `must be a number (YAML writes NaN as .nan and infinity as .inf), got ${JSON.stringify(s.value)}`);
          return { labels: s.labels ?? '', value: s.value ?? 0, path };
        }),
      })),
      externalLabels: strings(t.external_labels),
      externalURL: t.external_url ?? '',
    };
  });
  if (problems.length) throw new TestFileError(problems.join('\n'));
  return { ruleFiles: (data.rule_files ?? []) as string[], evaluationIntervalMs, groupEvalOrder: order, tests };
}
