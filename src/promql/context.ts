// State shared while turning a lezer-promql tree into the AST: the source, the diagnostics,
// and reading literals the way Prometheus does.
import type { SyntaxNode } from '@lezer/common';
import type { PosRange, PromQLDiagnostic } from './ast.js';
import { parseDuration } from './duration.js';
import { parseNumber } from './literals.js';

export const NEWER_PROMETHEUS = 'needs Prometheus 3.x (2.x rejects it)';

export interface Literal {
  /** The value in seconds (a duration literal is its length in seconds). */
  seconds: number;
  duration: boolean;
  text: string;
  from: number;
  to: number;
}

export class BuildContext {
  readonly diagnostics: PromQLDiagnostic[] = [];

  constructor(readonly src: string) {}

  error(r: PosRange, message: string): void {
    this.diagnostics.push({ from: r.from, to: r.to, message, severity: 'error' });
  }

  warn(r: PosRange, message: string): void {
    this.diagnostics.push({ from: r.from, to: r.to, message, severity: 'warning' });
  }

  text(n: PosRange): string {
    return this.src.slice(n.from, n.to);
  }

  /** The children of a node, without comments. */
  kids(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) if (c.name !== 'LineComment') out.push(c);
    return out;
  }

  experimentalSyntax(r: PosRange, what: string, flag?: string): void {
    const how = flag ? `unless started with --enable-feature=${flag}` : 'unless a feature flag enables it';
    this.error(r, `${what} is experimental PromQL syntax: Prometheus rejects it ${how}`);
  }

  /** The number or duration at the end of n (lezer includes a sign in some literal nodes). */
  literal(n: PosRange): Literal | undefined {
    const whole = this.text(n);
    // A sign inside an exponent (1e+6) belongs to the literal; one in front does not.
    const text = /(?:[0-9A-Za-z_.]|(?<=\d[eE])[+-])+$/.exec(whole)?.[0] ?? whole;
    const r = { from: n.to - text.length, to: n.to };
    if (/^\d+[smhdwy]/.test(text)) {
      try {
        return { seconds: parseDuration(text) / 1000, duration: true, text, ...r };
      } catch (err) {
        this.error(r, (err as Error).message);
        return undefined;
      }
    }
    const value = parseNumber(text);
    if (Number.isNaN(value) && text.toLowerCase() !== 'nan') {
      this.error(r, `error parsing number "${text}"`);
      return undefined;
    }
    return { seconds: value, duration: false, text, ...r };
  }
}
