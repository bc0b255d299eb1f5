// GET /api/v2/status in Alertmanager's swagger shape (alertmanagerStatus), so `amtool config show`
// and `amtool cluster show` work against vigil. vigil runs no gossip cluster: status "disabled".
import express from 'express';
import { rfc3339 } from './ingest.js';

export interface StatusDeps {
  /** The running config as YAML with its secrets redacted; read per request so a reload shows. */
  config: () => string;
  version: string;
  /** Unix ms when the process started serving. */
  startedAt: number;
  /** The datasource the rules query (`embedded <path>` or the Prometheus URL, redacted); read per request. */
  datasource?: () => string;
}

export function statusRoutes({ config, version, startedAt, datasource }: StatusDeps): express.Router {
  const r = express.Router();
  r.get('/api/v2/status', (_req, res) => {
    res.json({
      cluster: { status: 'disabled', peers: [] },
      versionInfo: {
        version,
        revision: 'unknown',
        branch: 'unknown',
        buildUser: 'unknown',
        buildDate: 'unknown',
        // the runtime in the field Alertmanager fills with Go's
        goVersion: `node ${process.version}`,
      },
      config: { original: config() },
      uptime: rfc3339(startedAt),
      // vigil's own field (amtool ignores it): where the rules' data comes from
      ...(datasource ? { datasource: datasource() } : {}),
    });
  });
  return r;
}
