// PromQL front-end: lezer-promql parses, this module builds a typed AST and checks it the way
// Prometheus' parser does, so `vigil check` rejects what `promtool check rules` rejects.
import { parser } from '@prometheus-io/lezer-promql';
import type { Expr, PromQLDiagnostic, ValueType } from './ast.js';
import { Builder } from './build.js';
import { checkAST } from './check.js';
import { exprType } from './functions.js';
import { tokenize, type Token } from './lexer.js';
import { syntaxErrors } from './syntax.js';
import { PromQLError, runInstant, runRange, type EngineOptions, type QueryResult } from './engine/index.js';
import type { Queryable } from './storage.js';

export type {
  AggregateExpr, AggregateOp, ArithmeticOp, AtModifier, BinaryExpr, BinaryOp, Call, ComparisonOp, Expr, LabelMatcher,
  MatchOp, MatrixSelector, NumberLiteral, ParenExpr, PosRange, PromQLDiagnostic, SetOp, StringLiteral, SubqueryExpr,
  UnaryExpr, ValueType, VectorMatchCardinality, VectorMatching, VectorSelector,
} from './ast.js';
export { documentedType } from './ast.js';
export { parseDuration, formatDuration } from './duration.js';
export { FUNCTIONS, AGGREGATE_OPS, exprType, type PromQLFunction } from './functions.js';
export { compileRegex, RegexSyntaxError, type LabelRegex } from './regex.js';
export type { MatchType, Queryable, SeriesData, SeriesMatcher } from './storage.js';
export { QueryPool, type QueryPoolOptions } from './query-pool.js';

export interface ParseResult {
  /** Set only when there are no errors. */
  ast?: Expr;
  /** The value type of the expression; set with ast. */
  type?: ValueType;
  /** Errors and warnings, ordered by position. */
  diagnostics: PromQLDiagnostic[];
}

const byPosition = (a: PromQLDiagnostic, b: PromQLDiagnostic) => a.from - b.from || a.to - b.to;

/**
 * The text lezer-promql parses: numbers and durations that Prometheus accepts but lezer's
 * tokenizer does not (`1.`, `0X1F`, `5m3h`) become digits of the same length, so positions
 * stay and the builder reads the real literal from the original text.
 */
function lezerInput(src: string, tokens: Token[]): string {
  let out = '';
  let at = 0;
  for (const t of tokens) {
    if ((t.kind !== 'number' && t.kind !== 'duration') || /^(inf|nan)$/i.test(t.text)) continue;
    const stand = t.kind === 'number' ? '1'.repeat(t.to - t.from) : '1'.repeat(t.to - t.from - 1) + 's';
    out += src.slice(at, t.from) + stand;
    at = t.to;
  }
  return out + src.slice(at);
}

/** Parses and type-checks a PromQL expression. */
export function parsePromQL(expr: string): ParseResult {
  try {
    return parse(expr);
  } catch (err) {
    // A bug here must not take down the caller (e.g. the service reloading its rules).
    const message = `internal error while checking this expression: ${(err as Error).message}`;
    return { diagnostics: [{ from: 0, to: expr.length, message, severity: 'error' }] };
  }
}

function parse(expr: string): ParseResult {
  const lexed = tokenize(expr);
  if (lexed.error) return { diagnostics: [lexed.error] };
  const tree = parser.parse(lezerInput(expr, lexed.tokens));
  const syntax = syntaxErrors(tree, expr, lexed.tokens);
  if (syntax.length > 0) return { diagnostics: syntax };

  const builder = new Builder(expr);
  const ast = builder.build(tree.topNode);
  const diagnostics = [...builder.diagnostics];
  const failed = () => diagnostics.some((d) => d.severity === 'error');
  // Like Prometheus, type-check only a tree that was built without errors.
  if (ast && !failed()) diagnostics.push(...checkAST(ast, expr, builder.operators));
  diagnostics.sort(byPosition);
  if (!ast || failed()) return { diagnostics };
  return { ast, type: exprType(ast), diagnostics };
}

export {
  PromQLError, compareLabels, formatFloat, formatPrometheusJSON,
  type EngineOptions, type QueryResult, type QueryValue, type Sample, type Series,
} from './engine/index.js';

// Rules evaluate the same expressions at every step: parse each once. The engine never
// changes an AST, so one can serve every evaluation.
const PARSED_MAX = 4096;
const parsed = new Map<string, Expr>();

/** Parses for evaluation: a parse error is Prometheus' "line:col: parse error: …" (bad_data). */
function parseForEval(expr: string): Expr {
  const hit = parsed.get(expr);
  if (hit) return hit;
  const r = parsePromQL(expr);
  if (r.ast) {
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(expr, r.ast);
    return r.ast;
  }
  const d = r.diagnostics.find((x) => x.severity === 'error')!;
  const before = expr.slice(0, d.from).split('\n');
  throw new PromQLError(`${before.length}:${before[before.length - 1].length + 1}: parse error: ${d.message}`, 'bad_data');
}

/** Evaluates expr at one instant (ms since the epoch), as Prometheus' /api/v1/query does. */
export function instantQuery(storage: Queryable, expr: string, timeMs: number, opts?: EngineOptions): QueryResult {
  return runInstant(storage, parseForEval(expr), timeMs, opts);
}

/** Evaluates expr at start, start+step, … end (ms), as /api/v1/query_range does; the value is a matrix. */
export function rangeQuery(storage: Queryable, expr: string, startMs: number, endMs: number, stepMs: number, opts?: EngineOptions): QueryResult {
  return runRange(storage, parseForEval(expr), startMs, endMs, stepMs, opts);
}
