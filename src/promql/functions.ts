// PromQL function signatures, as listed in Prometheus' promql/parser/functions.go.
import type { AggregateOp, Expr, ValueType } from './ast.js';

export interface PromQLFunction {
  name: string;
  argTypes: ValueType[];
  /** 0: exactly argTypes; n > 0: the last argument is optional and may repeat up to n times in all; -1: unlimited. */
  variadic: number;
  returnType: ValueType;
  /** Prometheus rejects it unless started with --enable-feature=promql-experimental-functions. */
  experimental?: boolean;
}

const S: ValueType = 'scalar';
const V: ValueType = 'vector';
const M: ValueType = 'matrix';
const STR: ValueType = 'string';

function fn(name: string, argTypes: ValueType[], returnType: ValueType, variadic = 0, experimental = false): PromQLFunction {
  return experimental ? { name, argTypes, variadic, returnType, experimental } : { name, argTypes, variadic, returnType };
}

const vectorMath = ['abs', 'absent', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'ceil', 'cos', 'cosh', 'deg', 'exp',
  'floor', 'histogram_avg', 'histogram_count', 'histogram_sum', 'histogram_stddev', 'histogram_stdvar', 'ln', 'log10', 'log2',
  'rad', 'sgn', 'sin', 'sinh', 'sort', 'sort_desc', 'sqrt', 'tan', 'tanh', 'timestamp'];
const overTime = ['absent_over_time', 'avg_over_time', 'changes', 'count_over_time', 'delta', 'deriv', 'idelta', 'increase',
  'irate', 'last_over_time', 'max_over_time', 'min_over_time', 'present_over_time', 'rate', 'resets', 'stddev_over_time',
  'stdvar_over_time', 'sum_over_time'];
const experimentalOverTime = ['first_over_time', 'mad_over_time', 'ts_of_first_over_time', 'ts_of_last_over_time',
  'ts_of_max_over_time', 'ts_of_min_over_time'];
// Date functions default to vector(time()) when called without an argument.
const dateFns = ['day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute', 'month', 'year'];

const list: PromQLFunction[] = [
  ...vectorMath.map((n) => fn(n, [V], V)),
  ...overTime.map((n) => fn(n, [M], V)),
  ...experimentalOverTime.map((n) => fn(n, [M], V, 0, true)),
  ...dateFns.map((n) => fn(n, [V], V, 1)),
  fn('clamp', [V, S, S], V),
  fn('clamp_max', [V, S], V),
  fn('clamp_min', [V, S], V),
  fn('histogram_fraction', [S, S, V], V),
  fn('histogram_quantile', [S, V], V),
  fn('label_replace', [V, STR, STR, STR, STR], V),
  fn('label_join', [V, STR, STR, STR], V, -1),
  fn('pi', [], S),
  fn('predict_linear', [M, S], V),
  fn('quantile_over_time', [S, M], V),
  fn('round', [V, S], V, 1),
  fn('scalar', [V], S),
  fn('time', [], S),
  fn('vector', [S], V),
  fn('double_exponential_smoothing', [M, S, S], V, 0, true),
  fn('histogram_quantiles', [V, STR, S, S], V, 9, true),
  fn('info', [V, V], V, 1, true),
  fn('sort_by_label', [V, STR], V, -1, true),
  fn('sort_by_label_desc', [V, STR], V, -1, true),
  fn('start', [], S, 0, true),
  fn('end', [], S, 0, true),
  fn('range', [], S, 0, true),
  fn('step', [], S, 0, true),
];

export const FUNCTIONS: Readonly<Record<string, PromQLFunction>> = Object.freeze(
  Object.fromEntries(list.map((f) => [f.name, f])),
);

export const AGGREGATE_OPS: ReadonlySet<AggregateOp> = new Set<AggregateOp>([
  'sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar',
  'topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio',
]);

/** Aggregations whose first argument is a parameter. */
export const PARAM_AGGREGATE_OPS: ReadonlySet<AggregateOp> = new Set<AggregateOp>([
  'topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio',
]);

export const EXPERIMENTAL_AGGREGATE_OPS: ReadonlySet<AggregateOp> = new Set<AggregateOp>(['limitk', 'limit_ratio']);

/** The value type an expression evaluates to (Prometheus' Expr.Type()). */
export function exprType(e: Expr): ValueType {
  switch (e.type) {
    case 'NumberLiteral': return 'scalar';
    case 'StringLiteral': return 'string';
    case 'VectorSelector': return 'vector';
    case 'MatrixSelector': return 'matrix';
    case 'SubqueryExpr': return 'matrix';
    case 'ParenExpr': return exprType(e.expr);
    case 'UnaryExpr': return exprType(e.expr);
    case 'AggregateExpr': return 'vector';
    case 'Call': return FUNCTIONS[e.func]?.returnType ?? 'vector';
    case 'BinaryExpr':
      return exprType(e.lhs) === 'scalar' && exprType(e.rhs) === 'scalar' ? 'scalar' : 'vector';
  }
}
