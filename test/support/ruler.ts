/**
 * A loopback Mimir ruler that checks the documented configuration API: tenant in X-Scope-OrgID
 * (401 without), GET of a namespace as a YAML map of namespace to groups (404 when it has none),
 * POST of exactly one group per request as `application/yaml` (202), DELETE of one group (202,
 * 404 when absent). It keeps the groups per tenant, so a test can look at what was stored.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse, stringify } from 'yaml';

export const MIMIR_PREFIX = '/prometheus/config/v1/rules';

export interface RulerRequest {
  method: string;
  path: string;
  tenant?: string;
  status: number;
}

export interface LoopbackRuler {
  readonly url: string;
  readonly requests: RulerRequest[];
  /** tenant → namespace → group name → group, in the order they were set. */
  readonly tenants: Map<string, Map<string, Map<string, Record<string, unknown>>>>;
  close(): Promise<void>;
}

const GROUP_KEYS = new Set(['name', 'interval', 'query_offset', 'limit', 'rules', 'source_tenants', 'evaluation_delay']);
const RULE_KEYS = new Set(['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);

/** Why Mimir would refuse this body as one rule group, or undefined. */
function invalid(doc: unknown): string | undefined {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return 'the body must be one rule group';
  const g = doc as Record<string, unknown>;
  for (const k of Object.keys(g)) if (!GROUP_KEYS.has(k)) return `field ${k} not found in type rulefmt.RuleGroup`;
  if (typeof g.name !== 'string' || g.name === '') return 'invalid rules configuration: rule group name must not be empty';
  if (!Array.isArray(g.rules) || g.rules.length === 0) return `invalid rules configuration: rule group '${g.name}' has no rules`;
  for (const r of g.rules as Record<string, unknown>[]) {
    for (const k of Object.keys(r)) if (!RULE_KEYS.has(k)) return `field ${k} not found in type rulefmt.RuleNode`;
    if ((typeof r.alert === 'string') === (typeof r.record === 'string')) return 'one of alert or record must be set';
    if (typeof r.expr !== 'string' || r.expr.trim() === '') return 'field expr must be set';
  }
  return undefined;
}

export async function startRuler(): Promise<LoopbackRuler> {
  const requests: RulerRequest[] = [];
  const tenants = new Map<string, Map<string, Map<string, Record<string, unknown>>>>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const tenant = req.headers['x-scope-orgid'] as string | undefined;
      const answer = (status: number, body = '', type = 'text/plain') => {
        requests.push({ method: req.method ?? '', path: url.pathname, tenant, status });
        res.writeHead(status, { 'Content-Type': type }).end(body);
      };
      if (!url.pathname.startsWith(MIMIR_PREFIX)) return answer(404, '404 page not found\n');
      if (!tenant) return answer(401, 'no org id\n');
      const parts = url.pathname.slice(MIMIR_PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent);
      const namespaces = tenants.get(tenant) ?? new Map<string, Map<string, Record<string, unknown>>>();
      tenants.set(tenant, namespaces);
      const [ns, group] = parts;
      if (req.method === 'GET' && ns && !group) {
        const groups = namespaces.get(ns);
        if (!groups || groups.size === 0) return answer(404, 'no rule groups found\n');
        return answer(200, stringify({ [ns]: [...groups.values()] }), 'application/yaml');
      }
      if (req.method === 'POST' && ns && !group) {
        if (req.headers['content-type'] !== 'application/yaml') return answer(400, 'unsupported Content-Type, expected application/yaml\n');
        let doc: unknown;
        try {
          doc = parse(Buffer.concat(chunks).toString('utf8'));
        } catch (err) {
          return answer(400, `yaml: ${(err as Error).message}\n`);
        }
        const why = invalid(doc);
        if (why) return answer(400, `${why}\n`);
        const g = doc as Record<string, unknown>;
        if (!namespaces.has(ns)) namespaces.set(ns, new Map());
        namespaces.get(ns)!.set(g.name as string, g);
        return answer(202, '{"status":"success","data":null,"errorType":"","error":""}', 'application/json');
      }
      if (req.method === 'DELETE' && ns && group) {
        if (!namespaces.get(ns)?.delete(group)) return answer(404, 'group does not exist\n');
        return answer(202, '{"status":"success","data":null,"errorType":"","error":""}', 'application/json');
      }
      return answer(405, 'method not allowed\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    tenants,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
