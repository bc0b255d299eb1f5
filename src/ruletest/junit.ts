import type { TestFileResult } from './run.js';

const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');

/** JUnit XML as CI systems read it: a testsuite per file, a testcase per test group. */
export function junitXML(results: TestFileResult[]): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>'];
  for (const r of results) {
    const cases = r.groups.map((g, i) => ({ name: g.name || `test group ${i + 1}`, errors: g.errors, seconds: g.durationMs / 1000 }));
    // A file that cannot be run is one failed case, so that CI shows why.
    if (r.errors.length) cases.unshift({ name: 'load', errors: r.errors, seconds: 0 });
    const failures = cases.filter((c) => c.errors.length).length;
    lines.push(`  <testsuite name="${escape(r.file)}" tests="${cases.length}" failures="${failures}">`);
    for (const c of cases) {
      const head = `    <testcase name="${escape(c.name)}" classname="${escape(r.file)}" time="${c.seconds.toFixed(3)}"`;
      if (!c.errors.length) lines.push(`${head}/>`);
      else lines.push(`${head}>`, `      <failure message="${escape(c.errors[0].trim().split('\n')[0])}">${escape(c.errors.join('\n'))}</failure>`, '    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
