// The embedded PromQL engine: evaluates vigil's typed AST over a Queryable.
export { PromQLError } from './errors.js';
export { compareLabels, formatFloat } from './format.js';
export {
  formatPrometheusJSON, runInstant, runRange,
  type EngineOptions, type QueryResult, type QueryValue, type Sample, type Series,
} from './query.js';
