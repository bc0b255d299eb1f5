// The PromQL AST, shaped after Prometheus' promql/parser/ast.go so an evaluation
// engine can be built on it. Positions are 0-based UTF-16 offsets into the expression.

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

export interface PromQLDiagnostic {
  from: number;
  to: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface PosRange {
  from: number;
  to: number;
}

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher extends PosRange {
  name: string;
  op: MatchOp;
  value: string;
}

/** `@ <timestamp>` in ms since the epoch, or `@ start()` / `@ end()` of the query range. */
export type AtModifier = number | 'start' | 'end';

export interface NumberLiteral extends PosRange {
  type: 'NumberLiteral';
  value: number;
  /** True when written as a duration (`5m` is the number 300). */
  duration?: boolean;
}

export interface StringLiteral extends PosRange {
  type: 'StringLiteral';
  value: string;
}

export interface VectorSelector extends PosRange {
  type: 'VectorSelector';
  /** The metric name written before the braces; '' for `{__name__="x"}` or `{"x"}`. */
  name: string;
  /** All matchers, as in Prometheus: those in braces, then `__name__="<name>"` when name is set. */
  matchers: LabelMatcher[];
  /** `offset` in ms (negative for `offset -5m`); 0 when absent. */
  offset: number;
  at?: AtModifier;
}

export interface MatrixSelector extends PosRange {
  type: 'MatrixSelector';
  /** Offset and @ of a range selector live on this inner selector, as in Prometheus. */
  vectorSelector: VectorSelector;
  /** Range in ms. */
  range: number;
}

export interface SubqueryExpr extends PosRange {
  type: 'SubqueryExpr';
  expr: Expr;
  /** Range in ms. */
  range: number;
  /** Resolution in ms; 0 means the default evaluation interval (`[1h:]`). */
  step: number;
  offset: number;
  at?: AtModifier;
}

export interface ParenExpr extends PosRange {
  type: 'ParenExpr';
  expr: Expr;
}

export interface UnaryExpr extends PosRange {
  type: 'UnaryExpr';
  op: '+' | '-';
  expr: Expr;
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

export type VectorMatchCardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  /** Set operators are many-to-many; group_left is many-to-one; group_right is one-to-many. */
  card: VectorMatchCardinality;
  /** True for `on(...)`, false for `ignoring(...)` or no clause. */
  on: boolean;
  /** The labels of `on(...)` / `ignoring(...)`. */
  labels: string[];
  /** The extra labels of `group_left(...)` / `group_right(...)`. */
  include: string[];
}

export interface BinaryExpr extends PosRange {
  type: 'BinaryExpr';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  /** The `bool` modifier of a comparison. */
  bool: boolean;
  /** Present when both sides are instant vectors (Prometheus drops it otherwise). */
  matching?: VectorMatching;
}

export type AggregateOp =
  | 'sum' | 'avg' | 'count' | 'min' | 'max' | 'group' | 'stddev' | 'stdvar'
  | 'topk' | 'bottomk' | 'count_values' | 'quantile' | 'limitk' | 'limit_ratio';

export interface AggregateExpr extends PosRange {
  type: 'AggregateExpr';
  op: AggregateOp;
  expr: Expr;
  /** The parameter of topk, bottomk, quantile, count_values, limitk and limit_ratio. */
  param?: Expr;
  /** Labels of `by (...)` or `without (...)`. */
  grouping: string[];
  without: boolean;
  /** Behind Prometheus' promql-experimental-functions feature flag. */
  experimental?: boolean;
}

export interface Call extends PosRange {
  type: 'Call';
  /** Function name; its signature is FUNCTIONS[func]. */
  func: string;
  args: Expr[];
  /** Behind Prometheus' promql-experimental-functions feature flag. */
  experimental?: boolean;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | ParenExpr
  | UnaryExpr
  | BinaryExpr
  | AggregateExpr
  | Call;

export const COMPARISON_OPS: ReadonlySet<string> = new Set(['==', '!=', '>', '<', '>=', '<=']);
export const SET_OPS: ReadonlySet<string> = new Set(['and', 'or', 'unless']);

/** The documented name of a value type, as Prometheus prints it in errors. */
export function documentedType(t: ValueType | 'none'): string {
  switch (t) {
    case 'vector': return 'instant vector';
    case 'matrix': return 'range vector';
    default: return t;
  }
}
