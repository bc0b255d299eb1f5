// Turns lezer-promql's error nodes into messages a user can act on: the unexpected token,
// where it is, and what was expected there.
import type { SyntaxNode, Tree } from '@lezer/common';
import type { PromQLDiagnostic } from './ast.js';
import { AGGREGATE_OPS, FUNCTIONS } from './functions.js';
import { describeToken, type Token } from './lexer.js';

const CLOSERS = new Set([')', ']', '}']);
const BINARY_KEYWORDS = new Set(['and', 'or', 'unless', 'atan2', 'bool']);
const MATCH_OPS = new Set(['=', '!=', '=~', '!~']);
// `by a (x)` misses parentheses around a label; it is no call of a function "a".
const GROUPING_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

function error(from: number, to: number, message: string): PromQLDiagnostic {
  return { from, to, message, severity: 'error' };
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function suggestFunction(name: string): string {
  const lower = name.toLowerCase();
  const names = [...Object.keys(FUNCTIONS), ...AGGREGATE_OPS];
  const sameCase = names.find((n) => n === lower);
  if (sameCase) return ` (function names are case-sensitive: did you mean "${sameCase}"?)`;
  let best: string | undefined;
  let bestScore = 3;
  for (const n of names) {
    // A name the typo is a prefix of wins a tie: "rat" means "rate" more likely than "rad".
    const score = editDistance(lower, n) - (n.startsWith(lower) ? 0.5 : 0);
    if (score < bestScore) [best, bestScore] = [n, score];
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

/** `name(` where name is no function: lezer reads it as a metric name followed by a stray "(". */
function unknownFunctions(tokens: Token[]): PromQLDiagnostic[] {
  const out: PromQLDiagnostic[] = [];
  tokens.forEach((t, i) => {
    const afterGrouping = GROUPING_KEYWORDS.has(tokens[i - 1]?.text.toLowerCase() ?? '');
    if (t.kind === 'identifier' && tokens[i + 1]?.text === '(' && !(t.text in FUNCTIONS) && !afterGrouping) {
      out.push(error(t.from, t.to, `unknown function "${t.text}"${suggestFunction(t.text)}`));
    }
  });
  return out;
}

function firstError(tree: Tree): SyntaxNode | undefined {
  let found: SyntaxNode | undefined;
  tree.iterate({
    enter: (n) => {
      if (found) return false;
      if (n.type.isError) {
        found = n.node;
        return false;
      }
      return undefined;
    },
  });
  return found;
}

/** What the parser wanted where it failed, judged from the enclosing node and the previous token. */
function expectation(parent: SyntaxNode | null, prev: Token | undefined, src: string): string {
  const p = prev?.text.toLowerCase() ?? '';
  const afterOperator = prev !== undefined && ((prev.kind === 'operator' && !CLOSERS.has(p)) || BINARY_KEYWORDS.has(p));
  if (GROUPING_KEYWORDS.has(p)) return ` after "${prev?.text}", expected "("`;
  switch (parent?.name) {
    case 'LabelMatchers':
      return p === '{' || p === ',' ? ' in label matchers, expected a label name' : ' in label matchers, expected "," or "}"';
    case 'UnquotedLabelMatcher':
    case 'QuotedLabelMatcher':
      return MATCH_OPS.has(p)
        ? ' in label matcher, expected a quoted string'
        : ' in label matcher, expected one of "=", "!=", "=~", "!~"';
    case 'GroupingLabels':
      return p === '(' || p === ',' ? ' in grouping labels, expected a label name' : ' in grouping labels, expected "," or ")"';
    case 'FunctionCallBody': {
      const owner = parent.parent;
      const where = owner?.name === 'FunctionCall' || owner?.name === 'AggregateExpr'
        ? ` in call to "${src.slice(owner.from, owner.firstChild?.to ?? owner.from)}"`
        : '';
      return p === '(' || p === ',' ? `${where}, expected an expression` : `${where}, expected "," or ")"`;
    }
    case 'AggregateExpr':
      return `, expected "(" with the arguments of "${src.slice(parent.from, parent.firstChild?.to ?? parent.from)}"`;
    case 'OffsetExpr':
      return ', expected a duration after "offset" (e.g. 5m)';
    case 'StepInvariantExpr':
      return ', expected a timestamp, start() or end() after "@"';
    case 'MatrixSelector':
    case 'SubqueryExpr':
    case 'DurationExpr':
      return ' in range or subquery selector, expected a duration or "]"';
    case 'ParenExpr':
      return p === '(' ? ', expected an expression' : ', expected ")"';
    default:
      return afterOperator ? `, expected an expression after "${prev?.text}"` : '';
  }
}

/** Syntax errors of a lezer parse, or [] when the tree has none. Assumes the input lexed cleanly. */
export function syntaxErrors(tree: Tree, src: string, allTokens: Token[]): PromQLDiagnostic[] {
  const tokens = allTokens.filter((t) => t.kind !== 'comment');
  if (tokens.length === 0) return [error(0, src.length, 'no expression found in input')];
  const unknown = unknownFunctions(tokens);
  if (unknown.length > 0) return unknown;
  const node = firstError(tree);
  if (!node) return [];
  const at = tokens.findIndex((t) => t.to > node.from);
  const tok = at >= 0 ? tokens[at] : undefined;
  const prev = tokens[(at >= 0 ? at : tokens.length) - 1];
  if (tok?.text === ')' && prev?.text === ',' && node.parent?.name === 'FunctionCallBody') {
    return [error(prev.from, prev.to, 'trailing commas not allowed in function call args')];
  }
  const what = tok ? `unexpected ${describeToken(tok)}` : 'unexpected end of input';
  // A missing end is reported right after the last token: that is where something is missing.
  const end = tokens[tokens.length - 1].to;
  const where = tok ?? { from: end, to: end };
  return [error(where.from, where.to, what + expectation(node.parent, prev, src))];
}
