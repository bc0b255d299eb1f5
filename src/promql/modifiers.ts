// Postfix modifiers of PromQL: [range], [range:step], offset and @, with the placement rules
// of Prometheus' generated_parser.y and parse.go (addOffset, setTimestamp, ...).
import type { SyntaxNode } from '@lezer/common';
import type { AtModifier, Expr, MatrixSelector, PosRange, SubqueryExpr, VectorSelector } from './ast.js';
import { NEWER_PROMETHEUS, type BuildContext } from './context.js';
import { formatDuration } from './duration.js';

// Go's time.Duration (int64 ns) bounds durations; timestamps must fit int64 ms.
const MAX_DURATION_SECONDS = 9_223_372_036.854775807;
const MAX_TIMESTAMP_SECONDS = 9_223_372_036_854_775.807;

export class Modifiers {
  constructor(private readonly ctx: BuildContext) {}

  /** A duration inside [...] (maxSigns Infinity) or after `offset` (one sign), in ms; undefined after an error. */
  private duration(n: SyntaxNode, positive: boolean, maxSigns = Infinity): number | undefined {
    let sign = 1;
    let signs = 0;
    let node = n;
    for (let k = this.ctx.kids(node); ; k = this.ctx.kids(node)) {
      if (k.length === 2 && k[0].name === 'UnaryOp') {
        if (++signs > maxSigns) {
          this.ctx.error(k[0], `unexpected "${this.ctx.text(k[0])}" in offset, expected a duration`);
          return undefined;
        }
        if (this.ctx.text(k[0]) === '-') sign = -sign;
        node = k[1];
        continue;
      }
      if (k.length !== 1 || k[0].name !== 'NumberDurationLiteralInDurationContext') {
        this.ctx.experimentalSyntax(n, `the duration expression "${this.ctx.text(n)}"`, 'promql-duration-expr');
        return undefined;
      }
      const lit = this.ctx.literal(k[0]);
      if (!lit) return undefined;
      const seconds = sign * lit.seconds;
      if (Math.abs(seconds) > MAX_DURATION_SECONDS) {
        this.ctx.error(n, 'duration out of range');
        return undefined;
      }
      if (positive && seconds <= 0) {
        this.ctx.error(n, 'duration must be greater than 0');
        return undefined;
      }
      const ms = Math.round(seconds * 1e9) / 1e6;
      if (!lit.duration) this.ctx.warn(lit, `the number ${lit.text} used as a duration (${formatDuration(ms)}) ${NEWER_PROMETHEUS}`);
      return ms;
    }
  }

  matrix(e: Expr, rangeNode: SyntaxNode, end: number): Expr {
    const range = this.duration(rangeNode, true);
    const brackets: PosRange = { from: this.ctx.src.lastIndexOf('[', rangeNode.from), to: end };
    let problem: string | undefined;
    if (e.type !== 'VectorSelector') problem = 'ranges only allowed for vector selectors';
    else if (e.offset !== 0) problem = 'no offset modifiers allowed before range';
    else if (e.at !== undefined) problem = 'no @ modifiers allowed before range';
    if (problem) this.ctx.error(brackets, problem);
    if (e.type !== 'VectorSelector') return e;
    const m: MatrixSelector = { type: 'MatrixSelector', vectorSelector: e, range: range ?? 0, from: e.from, to: end };
    return m;
  }

  subquery(e: Expr, durations: SyntaxNode[], end: number): Expr {
    const range = this.duration(durations[0], true) ?? 0;
    const step = durations[1] ? this.duration(durations[1], true) ?? 0 : 0;
    const sq: SubqueryExpr = { type: 'SubqueryExpr', expr: e, range, step, offset: 0, from: e.from, to: end };
    return sq;
  }

  /** The node that carries offset and @ for e, as in Prometheus. */
  private modifiable(e: Expr): VectorSelector | SubqueryExpr | undefined {
    if (e.type === 'VectorSelector' || e.type === 'SubqueryExpr') return e;
    if (e.type === 'MatrixSelector') return e.vectorSelector;
    return undefined;
  }

  offset(e: Expr, durationNode: SyntaxNode, end: number): Expr {
    const target = this.modifiable(e);
    const ms = this.duration(durationNode, false, 1);
    if (!target) {
      this.ctx.error(e, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
      return e;
    }
    if (target.offset !== 0) this.ctx.error({ from: e.from, to: end }, 'offset may not be set multiple times');
    else if (ms !== undefined) target.offset = ms;
    e.to = end;
    return e;
  }

  at(e: Expr, value: SyntaxNode, end: number): Expr {
    let at: AtModifier | undefined;
    if (value.name === 'AtModifierPreprocessors') {
      at = value.firstChild?.name === 'AtEnd' ? 'end' : 'start';
    } else {
      const lit = this.ctx.literal(value);
      if (lit) {
        const seconds = this.ctx.src[value.from] === '-' ? -lit.seconds : lit.seconds;
        if (!Number.isFinite(seconds) || Math.abs(seconds) >= MAX_TIMESTAMP_SECONDS) {
          this.ctx.error({ from: e.from, to: end }, `timestamp out of bounds for @ modifier: ${seconds}`);
        }
        if (lit.duration) this.ctx.warn(lit, `the duration ${lit.text} used as a timestamp ${NEWER_PROMETHEUS}`);
        at = Math.round(seconds * 1000);
      }
    }
    const target = this.modifiable(e);
    if (!target) {
      this.ctx.error(e, '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery');
      return e;
    }
    if (target.at !== undefined) this.ctx.error({ from: e.from, to: end }, '@ <timestamp> may not be set multiple times');
    else target.at = at;
    e.to = end;
    return e;
  }
}
