/**
 * A client of the ruler configuration API that Mimir, Cortex and Loki share: list the groups of a
 * namespace, set one group per request (YAML body), delete a group. Tenants by X-Scope-OrgID.
 */
import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
import { parse, stringify } from 'yaml';

export type RulerKind = 'mimir' | 'cortex' | 'loki';
export const RULER_KINDS: readonly RulerKind[] = ['mimir', 'cortex', 'loki'];

/** Where each ruler serves its configuration API by default (Mimir's -http.prometheus-http-prefix is /prometheus). */
export const DEFAULT_PREFIX: Record<RulerKind, string> = {
  mimir: '/prometheus/config/v1/rules',
  cortex: '/api/v1/rules',
  loki: '/loki/api/v1/rules',
};

export type RuleGroupObject = Record<string, unknown> & { name: string };

export interface RulerClientOptions {
  url: string;
  kind: RulerKind;
  /** Path of the configuration API, instead of the kind's default. */
  prefix?: string;
  /** Sent as X-Scope-OrgID. */
  tenant?: string;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export class RulerError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RulerError';
  }
}

export class RulerClient {
  private readonly base: string;
  private readonly agent: http.Agent;

  constructor(private readonly options: RulerClientOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RulerError(`"${options.url}" is not an http(s) URL`);
    this.base = url.origin + url.pathname.replace(/\/+$/, '') + (options.prefix ?? DEFAULT_PREFIX[options.kind]).replace(/\/+$/, '');
    this.agent = url.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  /** Where the namespace's groups live, for messages. */
  namespaceURL(namespace: string): string {
    return `${this.base}/${encodeURIComponent(namespace)}`;
  }

  /** The groups of one namespace; none when the ruler answers 404 (it does when a tenant or namespace has no rules). */
  async groups(namespace: string): Promise<RuleGroupObject[]> {
    const res = await this.call('GET', this.namespaceURL(namespace));
    if (res.status === 404) return [];
    this.expect(res, [200], `list the rule groups of namespace "${namespace}"`);
    let doc: unknown;
    try {
      doc = parse(res.body);
    } catch (err) {
      throw new RulerError(`the ruler's list of namespace "${namespace}" is not YAML: ${(err as Error).message}`);
    }
    // The answer is a map of namespace to groups (Mimir, Cortex, Loki); a bare list is taken too.
    const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' ? (doc as Record<string, unknown>)[namespace] : undefined;
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list) || list.some((g) => !g || typeof g !== 'object' || typeof (g as { name?: unknown }).name !== 'string')) {
      throw new RulerError(`the ruler's list of namespace "${namespace}" is not a list of rule groups`);
    }
    return list as RuleGroupObject[];
  }

  /** Creates or replaces one group (the API takes one per request). */
  async setGroup(namespace: string, group: RuleGroupObject): Promise<void> {
    const res = await this.call('POST', this.namespaceURL(namespace), stringify(group, { lineWidth: 0 }));
    this.expect(res, [200, 201, 202], `set rule group "${group.name}" in namespace "${namespace}"`);
  }

  async deleteGroup(namespace: string, name: string): Promise<void> {
    const res = await this.call('DELETE', `${this.namespaceURL(namespace)}/${encodeURIComponent(name)}`);
    this.expect(res, [200, 202, 204], `delete rule group "${name}" from namespace "${namespace}"`);
  }

  private expect(res: { status: number; body: string }, ok: number[], what: string): void {
    if (ok.includes(res.status)) return;
    const body = res.body.trim().slice(0, 300);
    throw new RulerError(`the ruler refused to ${what}: HTTP ${res.status}${body ? `: ${body}` : ''}`, res.status);
  }

  private async call(method: 'GET' | 'POST' | 'DELETE', url: string, body?: string): Promise<{ status: number; body: string }> {
    const o = this.options;
    const headers: Record<string, string> = { 'User-Agent': 'vigil', ...(o.headers ?? {}) };
    if (body !== undefined) headers['Content-Type'] = 'application/yaml';
    if (o.tenant) headers['X-Scope-OrgID'] = o.tenant;
    if (o.bearerToken) headers.Authorization = `Bearer ${o.bearerToken}`;
    try {
      const res = await axios.request<string>({
        method,
        url,
        data: body,
        headers,
        auth: o.basicAuth,
        httpAgent: this.agent,
        httpsAgent: this.agent,
        timeout: o.timeoutMs ?? 30_000,
        proxy: false,
        maxRedirects: 0,
        responseType: 'text',
        transformRequest: (d: unknown) => d,
        transformResponse: (x: string) => x,
        validateStatus: () => true,
      });
      return { status: res.status, body: typeof res.data === 'string' ? res.data : String(res.data ?? '') };
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new RulerError(`cannot reach the ruler at ${url}: ${code ?? (err as Error).message}`);
    }
  }
}
