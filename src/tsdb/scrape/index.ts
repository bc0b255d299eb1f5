// Scraping: targets from scrape_configs, the text format and OpenMetrics, relabeling, staleness.
export { ScrapeManager, type ScrapeManagerOptions, type TargetHealth } from './manager.js';
export type { ScrapeResult } from './loop.js';
export type { ScrapeTarget } from './targets.js';
export { compileRelabel, type Relabel } from './relabel.js';
export { parseExposition, parseSeriesText, ExpositionError, type ScrapedLine } from './exposition.js';
