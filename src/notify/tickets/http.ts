/** JSON requests to a ticket tracker (GET, POST, PATCH): the agent of http.ts, aborted by the signal, a non-2xx answer as a NotifyError. */
import { request, type HttpAgent } from '../http.js';
import { errorForStatus } from '../policy.js';
import { truncate } from '../render.js';

export interface TrackerHttp {
  agent: HttpAgent;
  /** Auth and API headers; never part of an error message. */
  headers: Record<string, string>;
  /** "Jira" or "GitHub", for error messages. */
  service: string;
}

/** One request; resolves to the parsed JSON answer (undefined for an empty body), throws NotifyError on a non-2xx status. */
export async function requestJson<T>(h: TrackerHttp, method: 'GET' | 'POST' | 'PATCH', url: string, signal: AbortSignal, body?: unknown): Promise<T> {
  const answer = await request(method, url, body, h.agent, signal, { Accept: 'application/json', ...h.headers });
  if (answer.status < 200 || answer.status >= 300) {
    throw errorForStatus(answer.status, `${h.service} ${method} ${new URL(url).pathname}: ${errorDetail(answer.body)}`, answer.headers);
  }
  if (answer.body.trim() === '') return undefined as T;
  try {
    return JSON.parse(answer.body) as T;
  } catch {
    throw errorForStatus(502, `${h.service} answered ${answer.status} with a body that is not JSON`);
  }
}

/** Jira's {errorMessages, errors} and GitHub's {message, errors}, as one short line. */
export function errorDetail(body: string): string {
  try {
    const j = JSON.parse(body) as { errorMessages?: unknown; errors?: unknown; message?: unknown };
    const parts: string[] = [];
    if (Array.isArray(j.errorMessages)) parts.push(...j.errorMessages.map(String));
    if (typeof j.message === 'string') parts.push(j.message);
    if (Array.isArray(j.errors)) parts.push(...j.errors.map((e) => (typeof e === 'object' && e ? JSON.stringify(e) : String(e))));
    else if (j.errors && typeof j.errors === 'object') parts.push(...Object.entries(j.errors).map(([k, v]) => `${k}: ${String(v)}`));
    if (parts.length > 0) return truncate(parts.join('; '), 300);
  } catch {
    // not JSON: a proxy's page, say
  }
  return truncate(body.trim(), 200);
}
