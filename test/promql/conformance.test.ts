// Every query of Prometheus' own PromQL test scripts (../shared/conformance/promql) that is not
// expected to fail must parse without errors.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePromQL } from '../../src/promql/index.js';

// Jest runs from the repository root; shared/ is checked out beside it.
const DIR = path.resolve(process.cwd(), '../shared/conformance/promql');
const EVAL = /^\s*eval(?:_(fail|warn|info|ordered))?\s+(?:instant\s+at\s+\S+|range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+)\s+(.*)$/;
const COMMAND = /^\s*(eval|load|clear)\b/;

interface Query {
  file: string;
  line: number;
  query: string;
  expectFail: boolean;
}

/** The queries of one test script, with whether the script expects them to fail. */
function queries(file: string): Query[] {
  const lines = readFileSync(path.join(DIR, file), 'utf8').split('\n');
  const out: Query[] = [];
  lines.forEach((text, i) => {
    const m = EVAL.exec(text);
    if (!m) return;
    let expectFail = m[1] === 'fail';
    for (let j = i + 1; j < lines.length && !COMMAND.test(lines[j]); j++) {
      if (/^\s*expect\s+fail\b/.test(lines[j])) expectFail = true;
    }
    out.push({ file, line: i + 1, query: m[2].trim(), expectFail });
  });
  return out;
}

const present = existsSync(DIR);
if (!present && process.env.CI) {
  test('the PromQL conformance scripts are present', () => {
    throw new Error(`missing ${DIR}: CI must check out shared/ beside the repository`);
  });
} else if (!present) {
  console.log(`skipping PromQL conformance: ${DIR} not found`);
  test.skip('PromQL conformance scripts (not found)', () => undefined);
} else {
  describe('PromQL conformance scripts', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.test')).sort();
    const all = files.flatMap(queries);

    test('the scripts hold queries', () => {
      expect(files.length).toBeGreaterThan(0);
      expect(all.filter((q) => !q.expectFail).length).toBeGreaterThan(1000);
    });

    test('every query not expected to fail parses without errors', () => {
      const failures = all
        .filter((q) => !q.expectFail)
        .flatMap((q) => parsePromQL(q.query).diagnostics
          .filter((d) => d.severity === 'error')
          .map((d) => `${q.file}:${q.line}: ${q.query}\n    at ${d.from}: ${d.message}`));
      expect(failures).toEqual([]);
    });

    test('queries expected to fail fail at run time, not when parsed', () => {
      // Prometheus parses all of them; a parse error here would be a false rejection.
      const flagged = all.filter((q) => q.expectFail && parsePromQL(q.query).diagnostics.some((d) => d.severity === 'error'));
      expect(flagged.map((q) => `${q.file}:${q.line}: ${q.query}`)).toEqual([]);
    });
  });
}
