// Type checking of a built AST, with the rules of Prometheus' checkAST (promql/parser/parse.go).
import {
  COMPARISON_OPS, SET_OPS, documentedType, type BinaryExpr, type Call, type Expr, type LabelMatcher, type PosRange,
  type PromQLDiagnostic, type ValueType, type VectorSelector,
} from './ast.js';
import type { OperatorPositions } from './build.js';
import { FUNCTIONS, exprType } from './functions.js';
import { compileRegex } from './regex.js';

function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=': return m.value === '';
    case '!=': return m.value !== '';
    case '=~': return compileRegex(m.value).test('');
    case '!~': return !compileRegex(m.value).test('');
  }
}

class Checker {
  readonly diagnostics: PromQLDiagnostic[] = [];
  // info()'s second argument selects by labels only, so Prometheus lets it match everything.
  private readonly bypassEmptyMatcherCheck = new WeakSet<VectorSelector>();

  constructor(private readonly src: string, private readonly operators: OperatorPositions) {}

  private error(r: PosRange, message: string): void {
    this.diagnostics.push({ from: r.from, to: r.to, message, severity: 'error' });
  }

  private warn(r: PosRange, message: string): void {
    this.diagnostics.push({ from: r.from, to: r.to, message, severity: 'warning' });
  }

  private expectType(e: Expr, want: ValueType, context: string): void {
    const got = this.check(e);
    if (got !== want) this.error(e, `expected type ${documentedType(want)} in ${context}, got ${documentedType(got)}`);
  }

  check(e: Expr): ValueType {
    switch (e.type) {
      case 'AggregateExpr':
        this.expectType(e.expr, 'vector', 'aggregation expression');
        if (e.param && e.op === 'count_values') this.expectType(e.param, 'string', 'aggregation parameter');
        else if (e.param) this.expectType(e.param, 'scalar', 'aggregation parameter');
        if (e.param?.type === 'NumberLiteral' && Number.isNaN(e.param.value)) {
          this.warn(e.param, `${e.op}() with a NaN parameter fails at evaluation`);
        }
        break;
      case 'BinaryExpr': this.binary(e); break;
      case 'Call': this.call(e); break;
      case 'ParenExpr': this.check(e.expr); break;
      case 'UnaryExpr': {
        const t = this.check(e.expr);
        if (t !== 'scalar' && t !== 'vector') {
          this.error(e, `unary expression only allowed on expressions of type scalar or instant vector, got ${documentedType(t)}`);
        }
        break;
      }
      case 'SubqueryExpr': {
        const t = this.check(e.expr);
        if (t !== 'vector') this.error(e, `subquery is only allowed on instant vector, got ${documentedType(t)} instead`);
        break;
      }
      case 'MatrixSelector': this.check(e.vectorSelector); break;
      case 'VectorSelector': this.vectorSelector(e); break;
      case 'NumberLiteral':
      case 'StringLiteral':
        break;
    }
    return exprType(e);
  }

  private vectorSelector(vs: VectorSelector): void {
    if (vs.name !== '') {
      // The last matcher is the one for the name written before the braces.
      const dup = vs.matchers.slice(0, -1).find((m) => m.name === '__name__');
      if (dup) this.error(vs, `metric name must not be set twice: "${vs.name}" or "${dup.value}"`);
      return;
    }
    if (this.bypassEmptyMatcherCheck.has(vs)) return;
    if (vs.matchers.every(matchesEmpty)) {
      this.error(vs, 'vector selector must contain at least one non-empty matcher');
    }
  }

  private binary(e: BinaryExpr): void {
    const lt = this.check(e.lhs);
    const rt = this.check(e.rhs);
    const op = this.operators.get(e) ?? e;
    const comparison = COMPARISON_OPS.has(e.op);
    const set = SET_OPS.has(e.op);
    const m = e.matching;
    if (e.bool && !comparison) this.error(op, 'bool modifier can only be used on comparison operators');
    if (comparison && !e.bool && lt === 'scalar' && rt === 'scalar') {
      this.error(op, 'comparisons between scalars must use BOOL modifier');
    }
    if (m && set && m.card === 'one-to-one') m.card = 'many-to-many';
    if (m?.on) {
      for (const l of m.labels.filter((l) => m.include.includes(l))) {
        this.error(op, `label "${l}" must not occur in ON and GROUP clause at once`);
      }
    }
    if (lt !== 'scalar' && lt !== 'vector') this.error(e.lhs, 'binary expression must contain only scalar and instant vector types');
    if (rt !== 'scalar' && rt !== 'vector') this.error(e.rhs, 'binary expression must contain only scalar and instant vector types');
    if ((lt !== 'vector' || rt !== 'vector') && m) {
      if (m.labels.length > 0) this.error(e, 'vector matching only allowed between instant vectors');
      // Prometheus keeps no matching for an operation with a scalar side.
      delete e.matching;
    } else if (set && m) {
      if (m.card === 'one-to-many' || m.card === 'many-to-one') this.error(e, `no grouping allowed for "${e.op}" operation`);
    }
    if ((lt === 'scalar' || rt === 'scalar') && set) {
      this.error(e, `set operator "${e.op}" not allowed in binary scalar expression`);
    }
  }

  private call(e: Call): void {
    const fn = FUNCTIONS[e.func];
    if (!fn) return;
    const n = fn.argTypes.length;
    const got = e.args.length;
    if (fn.variadic === 0) {
      if (n !== got) this.error(e, `expected ${n} argument(s) in call to "${e.func}", got ${got}`);
    } else if (n - 1 > got) {
      this.error(e, `expected at least ${n - 1} argument(s) in call to "${e.func}", got ${got}`);
    } else if (fn.variadic > 0 && n - 1 + fn.variadic < got) {
      this.error(e, `expected at most ${n - 1 + fn.variadic} argument(s) in call to "${e.func}", got ${got}`);
    }
    if (e.func === 'info' && got > 1) this.infoSelector(e, e.args[1]);
    e.args.forEach((arg, i) => {
      if (i >= n && fn.variadic === 0) return;
      const want = fn.argTypes[Math.min(i, n - 1)];
      const t = this.check(arg);
      if (t === want) return;
      const hint = want === 'matrix' && arg.type === 'VectorSelector' ? ` (add a range, e.g. ${this.src.slice(arg.from, arg.to)}[5m])` : '';
      this.error(arg, `expected type ${documentedType(want)} in call to function "${e.func}", got ${documentedType(t)}${hint}`);
    });
    this.runtimeFailures(e);
  }

  private infoSelector(e: Call, arg: Expr): void {
    if (exprType(arg) !== 'vector') {
      this.error(e, `expected type instant vector in call to function "info", got ${documentedType(exprType(arg))}`);
    }
    if (arg.type === 'VectorSelector' && arg.name !== '') {
      this.error(arg, 'expected label selectors only, got vector selector instead');
    } else if (arg.type === 'VectorSelector') {
      this.bypassEmptyMatcherCheck.add(arg);
    } else {
      this.error(arg, 'expected label selectors only');
    }
  }

  /** Mistakes Prometheus only reports when the rule runs, so every evaluation fails. */
  private runtimeFailures(e: Call): void {
    const regex = e.args[4];
    if (e.func === 'label_replace' && regex?.type === 'StringLiteral') {
      try {
        compileRegex(regex.value);
      } catch (err) {
        this.warn(regex, `label_replace() fails at evaluation: invalid regular expression: ${(err as Error).message}`);
      }
    }
  }
}

/** Type-checks e like Prometheus' checkAST; returns its diagnostics (errors and warnings). */
export function checkAST(e: Expr, src: string, operators: OperatorPositions): PromQLDiagnostic[] {
  const c = new Checker(src, operators);
  c.check(e);
  return c.diagnostics;
}
