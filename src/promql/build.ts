// Turns an error-free lezer-promql tree into the AST, with the checks Prometheus makes while
// building its own tree (generated_parser.y, parse.go): offsets, @, ranges, argument counts.
import type { SyntaxNode } from '@lezer/common';
import type {
  AggregateExpr, AggregateOp, BinaryExpr, BinaryOp, Expr, LabelMatcher, MatchOp, NumberLiteral, PosRange,
  PromQLDiagnostic, VectorMatching, VectorSelector,
} from './ast.js';
import { BuildContext, NEWER_PROMETHEUS } from './context.js';
import { AGGREGATE_OPS, EXPERIMENTAL_AGGREGATE_OPS, FUNCTIONS, PARAM_AGGREGATE_OPS } from './functions.js';
import { unquoteString } from './literals.js';
import { Modifiers } from './modifiers.js';
import { compileRegex } from './regex.js';

const BINARY_OPS: Record<string, BinaryOp> = {
  Pow: '^', Mul: '*', Div: '/', Mod: '%', Atan2: 'atan2', Add: '+', Sub: '-', Eql: '==', Neq: '!=', Gtr: '>', Lss: '<',
  Gte: '>=', Lte: '<=', And: 'and', Or: 'or', Unless: 'unless',
};
const MATCH_OPS: Record<string, MatchOp> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };
const FLAG_EXPERIMENTAL_FUNCTIONS = '--enable-feature=promql-experimental-functions';

/** Where the operator of each binary expression is, for positioned type errors. */
export type OperatorPositions = WeakMap<BinaryExpr, PosRange>;

/** lezer nodes whose modifier `postfix` pushes down into an unparenthesized operand chain. */
const POSTFIX_NODES = new Set(['MatrixSelector', 'SubqueryExpr', 'OffsetExpr', 'StepInvariantExpr']);

/** Prometheus' binary operator precedence, loosest first. */
const PRECEDENCE: Record<BinaryOp, number> = {
  or: 1, and: 2, unless: 2, '==': 3, '!=': 3, '<=': 3, '<': 3, '>=': 3, '>': 3,
  '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, atan2: 5, '^': 6,
};

/** Whether `outer` written after an `inner` chain binds to the chain's last operand (`^` is right-associative). */
function bindsLooser(inner: BinaryOp, outer: BinaryOp): boolean {
  return PRECEDENCE[inner] < PRECEDENCE[outer] || (PRECEDENCE[inner] === PRECEDENCE[outer] && outer === '^');
}

export class Builder {
  readonly operators: OperatorPositions = new WeakMap();
  private readonly ctx: BuildContext;
  private readonly modifiers: Modifiers;

  constructor(src: string) {
    this.ctx = new BuildContext(src);
    this.modifiers = new Modifiers(this.ctx);
  }

  get diagnostics(): PromQLDiagnostic[] {
    return this.ctx.diagnostics;
  }

  build(top: SyntaxNode): Expr | undefined {
    const [node] = this.ctx.kids(top);
    return node ? this.expr(node) : undefined;
  }

  private expr(n: SyntaxNode): Expr {
    const k = this.ctx.kids(n);
    switch (n.name) {
      case 'NumberDurationLiteral': return this.numberExpr(n);
      case 'StringLiteral': return { type: 'StringLiteral', value: unquoteString(this.ctx.text(n)), from: n.from, to: n.to };
      case 'VectorSelector': return this.vectorSelector(n);
      case 'ParenExpr': return { type: 'ParenExpr', expr: this.expr(k[0]), from: n.from, to: n.to };
      case 'UnaryExpr': return this.unary(this.ctx.text(k[0]) as '+' | '-', this.expr(k[1]), n.from);
      case 'BinaryExpr': return this.binary(k);
      case 'AggregateExpr': return this.aggregate(n, k);
      case 'FunctionCall': return this.call(n, k);
      case 'MatrixSelector': return this.postfix(this.expr(k[0]), (e) => this.modifiers.matrix(e, k[1], n.to));
      case 'SubqueryExpr': return this.postfix(this.expr(k[0]), (e) => this.modifiers.subquery(e, k.slice(1), n.to));
      case 'OffsetExpr': return this.postfix(this.expr(k[0]), (e) => this.modifiers.offset(e, k[2], n.to));
      case 'StepInvariantExpr': return this.postfix(this.expr(k[0]), (e) => this.modifiers.at(e, k[2], n.to));
      case 'AnchoredExpr':
      case 'SmoothedExpr': {
        const inner = this.expr(k[0]);
        this.ctx.experimentalSyntax(k[1], `"${this.ctx.text(k[1]).toLowerCase()}"`, 'promql-extended-range-selectors');
        return inner;
      }
      default:
        // Unreachable for trees without errors; kept so a grammar change fails loudly.
        this.ctx.error(n, `unsupported PromQL syntax "${n.name}"`);
        return { type: 'NumberLiteral', value: 0, from: n.from, to: n.to };
    }
  }

  /** Postfix modifiers bind tighter than any operator in Prometheus, but lezer-promql applies them to the whole operand chain. */
  private postfix(e: Expr, apply: (e: Expr) => Expr): Expr {
    if (e.type === 'BinaryExpr') {
      e.rhs = this.postfix(e.rhs, apply);
      e.to = e.rhs.to;
      return e;
    }
    if (e.type === 'UnaryExpr') {
      e.expr = this.postfix(e.expr, apply);
      e.to = e.expr.to;
      return e;
    }
    return apply(e);
  }

  private unary(op: '+' | '-', e: Expr, from: number): Expr {
    // Like Prometheus, a sign on a number literal folds into the literal.
    if (e.type === 'NumberLiteral') {
      return { ...e, value: op === '-' ? -e.value : e.value, from };
    }
    return { type: 'UnaryExpr', op, expr: e, from, to: e.to };
  }

  /** A number literal without its sign (lezer includes the sign in NumberDurationLiteral). */
  private unsignedNumber(n: SyntaxNode): NumberLiteral {
    const lit = this.ctx.literal(n);
    const node: NumberLiteral = { type: 'NumberLiteral', value: lit?.seconds ?? 0, from: lit?.from ?? n.from, to: n.to };
    if (lit?.duration) {
      node.duration = true;
      this.ctx.warn(lit, `the duration ${lit.text} used as the number ${lit.seconds} ${NEWER_PROMETHEUS}`);
    }
    return node;
  }

  private numberExpr(n: SyntaxNode): Expr {
    const node = this.unsignedNumber(n);
    const sign = this.ctx.src[n.from];
    return sign === '-' || sign === '+' ? this.unary(sign, node, n.from) : node;
  }

  private vectorSelector(n: SyntaxNode): VectorSelector {
    const vs: VectorSelector = { type: 'VectorSelector', name: '', matchers: [], offset: 0, from: n.from, to: n.to };
    let nameMatcher: LabelMatcher | undefined;
    for (const c of this.ctx.kids(n)) {
      if (c.name === 'Identifier') {
        vs.name = this.ctx.text(c);
        nameMatcher = { name: '__name__', op: '=', value: vs.name, from: c.from, to: c.to };
      } else {
        for (const m of this.ctx.kids(c)) vs.matchers.push(this.matcher(m));
      }
    }
    if (nameMatcher) vs.matchers.push(nameMatcher);
    return vs;
  }

  private matcher(n: SyntaxNode): LabelMatcher {
    if (n.name === 'QuotedLabelName') {
      // {"name"} selects a metric by a (possibly UTF-8) name.
      return { name: '__name__', op: '=', value: unquoteString(this.ctx.text(n)), from: n.from, to: n.to };
    }
    const [label, op, value] = this.ctx.kids(n);
    const m: LabelMatcher = {
      name: label.name === 'QuotedLabelName' ? unquoteString(this.ctx.text(label)) : this.ctx.text(label),
      op: MATCH_OPS[op.firstChild?.name ?? ''] ?? '=',
      value: unquoteString(this.ctx.text(value)),
      from: n.from,
      to: n.to,
    };
    if (m.op === '=~' || m.op === '!~') {
      try {
        compileRegex(m.value);
      } catch (err) {
        this.ctx.error(value, `invalid regular expression ${this.ctx.text(value)}: ${(err as Error).message}`);
      }
    }
    return m;
  }

  private groupingLabels(n: SyntaxNode | undefined): string[] {
    if (!n) return [];
    return this.ctx.kids(n).map((c) => {
      if (c.name !== 'QuotedLabelName') return this.ctx.text(c);
      const name = unquoteString(this.ctx.text(c));
      if (name === '') this.ctx.error(c, 'invalid label name for grouping: ""');
      return name;
    });
  }

  private binary(k: SyntaxNode[]): Expr {
    const [lhsNode, opNode] = k;
    const rhsNode = k[k.length - 1];
    if (opNode.name === 'TrimUpper' || opNode.name === 'TrimLower') {
      this.ctx.experimentalSyntax(opNode, `the "${this.ctx.text(opNode)}" operator`);
    }
    const op = BINARY_OPS[opNode.name] ?? '+';
    // lezer reads `-2 ^ 2` as (-2)^2; in Prometheus the sign binds looser than ^: -(2^2).
    const sign = this.ctx.src[lhsNode.from];
    if (op === '^' && lhsNode.name === 'NumberDurationLiteral' && (sign === '-' || sign === '+')) {
      return this.unary(sign, this.makeBinary(k, this.unsignedNumber(lhsNode), this.expr(rhsNode)), lhsNode.from);
    }
    const lhs = this.expr(lhsNode);
    const rhs = this.expr(rhsNode);
    return POSTFIX_NODES.has(lhsNode.name) ? this.reassociate(k, lhs, rhs) : this.makeBinary(k, lhs, rhs);
  }

  /**
   * lezer reads `a or b offset 1m * 3` as `(a or b offset 1m) * 3`; the modifier went down to `b`
   * (postfix), and this puts `* 3` down the right spine to where Prometheus binds it: `a or (b offset 1m * 3)`.
   */
  private reassociate(k: SyntaxNode[], lhs: Expr, rhs: Expr): Expr {
    const op = BINARY_OPS[k[1].name] ?? '+';
    if (lhs.type === 'BinaryExpr' && bindsLooser(lhs.op, op)) {
      lhs.rhs = this.reassociate(k, lhs.rhs, rhs);
      lhs.to = lhs.rhs.to;
      return lhs;
    }
    // A sign binds like `*`: only `^` goes under it.
    if (lhs.type === 'UnaryExpr' && op === '^') {
      lhs.expr = this.reassociate(k, lhs.expr, rhs);
      lhs.to = lhs.expr.to;
      return lhs;
    }
    return this.makeBinary(k, lhs, rhs);
  }

  private makeBinary(k: SyntaxNode[], lhs: Expr, rhs: Expr): BinaryExpr {
    const opNode = k[1];
    const matching: VectorMatching = { card: 'one-to-one', on: false, labels: [], include: [] };
    const e: BinaryExpr = {
      type: 'BinaryExpr', op: BINARY_OPS[opNode.name] ?? '+', lhs, rhs, bool: false, matching, from: lhs.from, to: rhs.to,
    };
    this.operators.set(e, { from: opNode.from, to: opNode.to });
    for (const m of k.slice(2, -1)) {
      if (m.name === 'BoolModifier') e.bool = true;
      else if (m.name === 'FillModifier') this.ctx.experimentalSyntax(m, `the "${this.ctx.text(m)}" modifier`, 'promql-binop-fill-modifiers');
      else if (m.name === 'MatchingModifierClause') {
        const [kind, labels, group, include] = this.ctx.kids(m);
        matching.on = kind.name === 'On';
        matching.labels = this.groupingLabels(labels);
        if (group) matching.card = group.name === 'GroupLeft' ? 'many-to-one' : 'one-to-many';
        matching.include = this.groupingLabels(include);
      }
    }
    return e;
  }

  private args(body: SyntaxNode): Expr[] {
    return this.ctx.kids(body).map((a) => this.expr(a));
  }

  private aggregate(n: SyntaxNode, k: SyntaxNode[]): Expr {
    const op = this.ctx.text(k[0]).toLowerCase() as AggregateOp;
    const body = k.find((c) => c.name === 'FunctionCallBody')!;
    const modifier = k.find((c) => c.name === 'AggregateModifier');
    const args = this.args(body);
    const [kind, labels] = modifier ? this.ctx.kids(modifier) : [];
    const e: AggregateExpr = {
      type: 'AggregateExpr', op, expr: args[args.length - 1], grouping: this.groupingLabels(labels),
      without: kind?.name === 'Without', from: n.from, to: n.to,
    };
    if (!AGGREGATE_OPS.has(op)) this.ctx.error(k[0], `unknown aggregation "${op}"`);
    if (args.length === 0) {
      this.ctx.error(n, 'no arguments for aggregate expression provided');
      return e;
    }
    const wanted = PARAM_AGGREGATE_OPS.has(op) ? 2 : 1;
    if (wanted === 2) e.param = args[0];
    if (EXPERIMENTAL_AGGREGATE_OPS.has(op)) {
      e.experimental = true;
      this.ctx.warn(k[0], `${op}() is experimental: Prometheus rejects it unless started with ${FLAG_EXPERIMENTAL_FUNCTIONS}`);
    }
    if (args.length !== wanted) {
      this.ctx.error(n, `wrong number of arguments for aggregate expression provided, expected ${wanted}, got ${args.length}`);
    }
    return e;
  }

  private call(n: SyntaxNode, k: SyntaxNode[]): Expr {
    const [ident, body] = k;
    const name = this.ctx.text(ident);
    const fn = FUNCTIONS[name];
    const e: Expr = { type: 'Call', func: name, args: this.args(body), from: n.from, to: n.to };
    if (!fn) this.ctx.error(ident, `unknown function "${name}"`);
    else if (fn.experimental) {
      e.experimental = true;
      this.ctx.warn(ident, `function "${name}" is experimental: Prometheus rejects it unless started with ${FLAG_EXPERIMENTAL_FUNCTIONS}`);
    }
    return e;
  }
}
