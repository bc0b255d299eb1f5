// Targets from static_configs, labeled as Prometheus labels them: meta labels (__address__,
// __scheme__, __metrics_path__, __param_<name>) in, relabel_configs, instance from __address__,
// meta labels out.
import type { ScrapeConfig } from '../../config/index.js';
import { compileRelabel } from './relabel.js';

export interface ScrapeTarget {
  job: string;
  /** Labels attached to every sample of the target: job, instance and the static labels, after relabeling. */
  labels: Readonly<Record<string, string>>;
  url: URL;
  /** The identity across reloads: same job, URL and labels → the same target. */
  key: string;
}

const PARAM = '__param_';

export function labelsKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}\xff${labels[k]}`)
    .join('\xfe');
}

/** The targets of one scrape config; targets that relabel_configs drop are left out. */
export function targetsOf(cfg: ScrapeConfig): ScrapeTarget[] {
  const relabel = compileRelabel(cfg.relabelConfigs);
  const out: ScrapeTarget[] = [];
  for (const group of cfg.staticConfigs) {
    for (const address of group.targets) {
      const meta: Record<string, string> = {
        ...group.labels,
        __address__: address,
        job: group.labels.job ?? cfg.jobName,
        __scheme__: cfg.scheme,
        __metrics_path__: cfg.metricsPath,
      };
      for (const [name, values] of Object.entries(cfg.params)) if (values.length > 0) meta[PARAM + name] = values[0];
      const relabeled = relabel(meta);
      if (!relabeled || !relabeled.__address__) continue;
      const params = new URLSearchParams();
      for (const [name, values] of Object.entries(cfg.params)) for (const v of values) params.append(name, v);
      for (const [name, value] of Object.entries(relabeled)) {
        if (!name.startsWith(PARAM)) continue;
        const key = name.slice(PARAM.length);
        // the relabeled __param_ replaces the first value, as Prometheus does
        const rest = params.getAll(key).slice(1);
        params.delete(key);
        for (const v of [value, ...rest]) params.append(key, v);
      }
      const scheme = relabeled.__scheme__ === 'https' ? 'https' : 'http';
      const path = relabeled.__metrics_path__ || '/metrics';
      const url = new URL(`${scheme}://${relabeled.__address__}${path.startsWith('/') ? path : `/${path}`}`);
      const query = params.toString();
      if (query) url.search = query;
      const labels: Record<string, string> = {};
      for (const [name, value] of Object.entries(relabeled)) if (!name.startsWith('__') && value !== '') labels[name] = value;
      labels.instance ??= relabeled.__address__;
      out.push({ job: cfg.jobName, labels, url, key: `${cfg.jobName}\xfd${url.href}\xfd${labelsKey(labels)}` });
    }
  }
  return out;
}

/** FNV-1a of the target's identity: the phase of its scrapes within the interval. */
export function targetOffset(key: string, intervalMs: number, nowMs: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const phase = h % intervalMs;
  // wait until the clock reaches the target's phase, so targets spread and restarts keep their rhythm
  return (phase - (nowMs % intervalMs) + intervalMs) % intervalMs;
}
