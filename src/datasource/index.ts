export * from './types.js';
export { PrometheusDatasource, type PrometheusDatasourceOptions, type DatasourceLogger } from './prometheus.js';
export { EmbeddedDatasource, type EmbeddedDatasourceOptions } from './embedded.js';
