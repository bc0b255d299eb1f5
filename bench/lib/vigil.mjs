/** What the benches take from vigil's build (dist/), and a datasource wrapper that counts. */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_DIR } from './stats.mjs';

async function load(module) {
  const path = join(REPO_DIR, 'dist', module, 'index.js');
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  return import(pathToFileURL(path).href);
}

export const rules = await load('rules');
export const evaluation = await load('eval');
export const datasource = await load('datasource');

/** The default rule pack (rules/*.yaml), as rule groups. */
export async function loadPack() {
  const loaded = await rules.loadRuleFiles([join(REPO_DIR, 'rules')]);
  if (rules.hasErrors(loaded.diagnostics) || loaded.problems.length > 0) {
    throw new Error(`rule pack does not load:\n${[...loaded.problems, ...loaded.diagnostics.map(rules.formatDiagnostic)].join('\n')}`);
  }
  return loaded.files.flatMap((f) => f.groups);
}

/** Passes queries through, counting them, their wall time and the samples/series they return. */
export class CountingDatasource {
  constructor(inner) {
    this.inner = inner;
    this.reset();
  }

  reset() {
    this.instantQueries = 0;
    this.rangeQueries = 0;
    this.queryMs = 0;
    this.samples = 0;
    this.points = 0;
  }

  snapshot() {
    return { instantQueries: this.instantQueries, rangeQueries: this.rangeQueries, queryMs: this.queryMs, samples: this.samples, points: this.points };
  }

  async instantQuery(expr, time, options) {
    const started = performance.now();
    try {
      const r = await this.inner.instantQuery(expr, time, options);
      if (r.value.resultType === 'vector') this.samples += r.value.samples.length;
      return r;
    } finally {
      this.instantQueries++;
      this.queryMs += performance.now() - started;
    }
  }

  async rangeQuery(expr, start, end, stepMs, options) {
    const started = performance.now();
    try {
      const r = await this.inner.rangeQuery(expr, start, end, stepMs, options);
      this.samples += r.series.length;
      for (const s of r.series) this.points += s.points.length;
      return r;
    } finally {
      this.rangeQueries++;
      this.queryMs += performance.now() - started;
    }
  }
}
