import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document, type Node } from 'yaml';

export type Path = (string | number)[];

/** A parsed YAML file that can answer "where in the file is this field?". */
export class YamlSource {
  readonly doc: Document;
  private readonly lines = new LineCounter();

  constructor(readonly file: string, readonly text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }

  /** 1-based line and column of a character offset. */
  position(offset: number): { line: number; column: number } {
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { line, column: col };
  }

  /** The offset of a field's value, or of its key when `at` is 'key'; falls back to the nearest parent. */
  offsetOf(path: Path, at: 'key' | 'value' = 'value'): number {
    let node: unknown = this.doc.contents;
    let best = rangeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const step = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step));
        if (!pair) return best;
        if (last && at === 'key') return rangeStart(pair.key) ?? best;
        node = pair.value;
        best = rangeStart(node) ?? rangeStart(pair.key) ?? best;
      } else if (isSeq(node) && typeof step === 'number') {
        node = node.items[step];
        best = rangeStart(node) ?? best;
      } else {
        return best;
      }
    }
    return best;
  }

  /** The scalar node at a path, if there is one. */
  scalarAt(path: Path): Scalar | undefined {
    const node = this.doc.getIn(path, true);
    return isScalar(node) ? node : undefined;
  }

  /**
   * Maps a (line, column) inside a scalar's string value to a file offset, so an
   * error inside a multi-line PromQL expression points at the right source line.
   */
  offsetInScalar(path: Path, valueLine: number, valueColumn: number): number {
    const node = this.scalarAt(path);
    if (!node?.range) return this.offsetOf(path);
    const start = node.range[0];
    const block = node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
    if (!block) {
      const quote = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE ? 1 : 0;
      return valueLine === 0 ? start + quote + valueColumn : start;
    }
    // A block scalar's content starts on the line after its `|` header, at a fixed indentation.
    const contentLines = this.text.slice(start, node.range[1]).split('\n').slice(1);
    const indent = contentLines.find((l) => l.trim() !== '')?.match(/^ */)?.[0].length ?? 0;
    let offset = start + this.text.slice(start).indexOf('\n') + 1;
    for (let i = 0; i < valueLine && i < contentLines.length; i++) offset += contentLines[i].length + 1;
    return offset + indent + valueColumn;
  }
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null)?.range?.[0];
}
