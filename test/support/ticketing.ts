/**
 * Loopback stand-ins for Jira Cloud REST v3 and GitHub's issues API: real HTTP servers that keep
 * issues, check auth and the documented request contract (required fields, ADF, label rules,
 * transition ids), answer errors in each service's shape, and can be told to answer 429/5xx next.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCert } from './receivers.js';

export interface TicketingRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  json?: unknown;
  status?: number;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TicketingServer {
  readonly url: string;
  /** The self-signed certificate's PEM when serving TLS: what http_config.ca takes. */
  readonly ca?: string;
  readonly requests: TicketingRequest[];
  /** The next `n` requests get this answer instead of being handled. */
  answerNext(n: number, answer: Answer): void;
  close(): Promise<void>;
}

async function serve(handler: (req: TicketingRequest, url: URL) => Answer, tls = false): Promise<TicketingServer> {
  const requests: TicketingRequest[] = [];
  const queue: Answer[] = [];
  const cert = tls ? selfSignedCert() : undefined;
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const rec: TicketingRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers };
      let badJson = false;
      if (text !== '') {
        try {
          rec.json = JSON.parse(text);
        } catch {
          badJson = true;
        }
      }
      requests.push(rec);
      const url = new URL(rec.path, 'http://x');
      const a: Answer = queue.shift() ?? (badJson ? { status: 400, body: { message: 'Problems parsing JSON', errorMessages: ['Unexpected character'] } } : handler(rec, url));
      rec.status = a.status;
      res.writeHead(a.status, { ...(a.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...a.headers });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
    });
  };
  const server = cert ? https.createServer({ key: cert.key, cert: cert.cert }, onRequest) : http.createServer(onRequest);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `${cert ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ca: cert?.cert,
    requests,
    answerNext: (n, answer) => {
      for (let i = 0; i < n; i++) queue.push(answer);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------
// Atlassian Document Format (developer.atlassian.com/cloud/jira/platform/apis/document/structure)

const ADF_BLOCKS = new Set(['paragraph', 'bulletList', 'orderedList', 'listItem', 'heading', 'codeBlock', 'blockquote', 'rule']);
const ADF_INLINE = new Set(['text', 'hardBreak', 'mention', 'emoji', 'inlineCard']);
const ADF_MARKS = new Set(['link', 'strong', 'em', 'code', 'strike', 'underline']);

/** What is wrong with an ADF document, or undefined when it is valid. */
export function adfProblem(doc: unknown): string | undefined {
  if (!isObj(doc) || doc.type !== 'doc' || doc.version !== 1 || !Array.isArray(doc.content)) return 'the root must be {type:"doc", version:1, content:[…]}';
  const node = (n: unknown, parent: string): string | undefined => {
    if (!isObj(n) || typeof n.type !== 'string') return `a node in ${parent} has no type`;
    const t = n.type;
    if (!ADF_BLOCKS.has(t) && !ADF_INLINE.has(t)) return `unknown node type ${t}`;
    if ((parent === 'bulletList' || parent === 'orderedList') && t !== 'listItem') return `${parent} may only hold listItem, not ${t}`;
    if (t === 'listItem' && parent !== 'bulletList' && parent !== 'orderedList') return 'listItem outside a list';
    if (parent === 'paragraph' && !ADF_INLINE.has(t)) return `paragraph may only hold inline nodes, not ${t}`;
    if ((parent === 'doc' || parent === 'listItem') && ADF_INLINE.has(t)) return `${t} must be inside a paragraph`;
    if (t === 'text') {
      if (typeof n.text !== 'string' || n.text === '') return 'a text node needs non-empty text';
      if (n.marks !== undefined) {
        if (!Array.isArray(n.marks)) return 'marks must be an array';
        for (const m of n.marks) {
          if (!isObj(m) || !ADF_MARKS.has(m.type as string)) return `unknown mark ${JSON.stringify(m)}`;
          if (m.type === 'link' && (!isObj(m.attrs) || typeof m.attrs.href !== 'string')) return 'a link mark needs attrs.href';
        }
      }
      return undefined;
    }
    if (n.content !== undefined && !Array.isArray(n.content)) return `${t}.content must be an array`;
    const content = (n.content as unknown[] | undefined) ?? [];
    if ((t === 'bulletList' || t === 'orderedList' || t === 'listItem') && content.length === 0) return `${t} must not be empty`;
    for (const c of content) {
      const p = node(c, t);
      if (p) return p;
    }
    return undefined;
  };
  for (const c of doc.content) {
    const p = node(c, 'doc');
    if (p) return p;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Jira Cloud REST v3

export interface JiraIssue {
  id: string;
  key: string;
  fields: {
    project: { key: string };
    summary: string;
    issuetype: { name: string };
    description?: unknown;
    labels: string[];
    priority?: { name: string };
    status: { name: string; statusCategory: { key: 'new' | 'indeterminate' | 'done' } };
    resolution: { name: string } | null;
    created: string;
  };
  comments: unknown[];
}

type JiraStatus = JiraIssue['fields']['status'];
const STATUS: Record<'todo' | 'progress' | 'done', JiraStatus> = {
  todo: { name: 'To Do', statusCategory: { key: 'new' } },
  progress: { name: 'In Progress', statusCategory: { key: 'indeterminate' } },
  done: { name: 'Done', statusCategory: { key: 'done' } },
};

/** The workflow: To Do ⇄ In Progress → Done (resolution Done) or Won't Do; Done → Reopen → To Do. */
function transitionsOf(issue: JiraIssue): { id: string; name: string; to: JiraStatus; resolution?: string }[] {
  if (issue.fields.status.statusCategory.key === 'done') return [{ id: '51', name: 'Reopen', to: STATUS.todo }];
  return [
    { id: '21', name: 'In Progress', to: STATUS.progress },
    { id: '31', name: 'Done', to: STATUS.done, resolution: 'Done' },
    { id: '41', name: "Won't Do", to: STATUS.done, resolution: "Won't Do" },
  ];
}

const PRIORITIES = ['Highest', 'High', 'Medium', 'Low', 'Lowest'];
const ISSUE_TYPES = ['Task', 'Bug', 'Incident'];
const CREATE_FIELDS = new Set(['project', 'summary', 'issuetype', 'description', 'labels', 'priority']);
const SEARCH_KEYS = new Set(['jql', 'fields', 'maxResults', 'nextPageToken', 'expand', 'properties', 'fieldsByKeys', 'failFast', 'reconcileIssues']);

export interface JiraServer extends TicketingServer {
  readonly issues: Map<string, JiraIssue>;
  /** What a person does in Jira: move the issue through a transition by name. */
  transition(key: string, name: string): void;
}

export async function startJira(opts: { project?: string; email: string; apiToken: string; tls?: boolean }): Promise<JiraServer> {
  const project = opts.project ?? 'OPS';
  const issues = new Map<string, JiraIssue>();
  let seq = 0;
  const auth = `Basic ${Buffer.from(`${opts.email}:${opts.apiToken}`).toString('base64')}`;
  const bad = (errors: Record<string, string>, errorMessages: string[] = []): Answer => ({ status: 400, body: { errorMessages, errors } });
  const notFound: Answer = { status: 404, body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} } };
  const move = (issue: JiraIssue, id: string): boolean => {
    const t = transitionsOf(issue).find((x) => x.id === id);
    if (!t) return false;
    issue.fields.status = t.to;
    issue.fields.resolution = t.to.statusCategory.key === 'done' ? { name: t.resolution ?? 'Done' } : null;
    return true;
  };
  const pick = (issue: JiraIssue, fields: string[] | undefined) => {
    const all = issue.fields as unknown as Record<string, unknown>;
    const names = !fields || fields.includes('*all') ? Object.keys(all) : fields;
    return { id: issue.id, key: issue.key, self: `/rest/api/3/issue/${issue.id}`, fields: Object.fromEntries(names.filter((n) => n in all).map((n) => [n, all[n]])) };
  };

  const base = await serve((req, url) => {
    if (req.headers.authorization !== auth) return { status: 401, body: { errorMessages: ['Client must be authenticated to access this resource.'], errors: {} } };
    if (req.method !== 'GET' && !String(req.headers['content-type'] ?? '').startsWith('application/json')) return { status: 415, body: { errorMessages: ['Unsupported Media Type'], errors: {} } };
    const p = url.pathname;
    const body = req.json;
    if (req.method === 'POST' && p === '/rest/api/3/issue') {
      if (!isObj(body) || !isObj(body.fields)) return bad({}, ['Request body must be {fields: {…}}']);
      const f = body.fields;
      const errors: Record<string, string> = {};
      for (const k of Object.keys(f)) if (!CREATE_FIELDS.has(k)) errors[k] = `Field '${k}' cannot be set. It is not on the appropriate screen, or unknown.`;
      if (!isObj(f.project) || f.project.key !== project) errors.project = 'valid project is required';
      if (typeof f.summary !== 'string' || f.summary.trim() === '') errors.summary = 'You must specify a summary of the issue.';
      else if (f.summary.length > 255) errors.summary = 'Summary must be less than 255 characters.';
      else if (/[\r\n]/.test(f.summary)) errors.summary = 'The summary is invalid because it contains newline characters.';
      if (!isObj(f.issuetype) || !ISSUE_TYPES.includes(f.issuetype.name as string)) errors.issuetype = 'Specify an issue type';
      if (f.description !== undefined) {
        const problem = adfProblem(f.description);
        if (problem) errors.description = `Operation value must be an Atlassian Document (see the Atlassian Document Format): ${problem}`;
      }
      if (f.labels !== undefined) {
        if (!Array.isArray(f.labels) || f.labels.some((l) => typeof l !== 'string' || l === '' || /\s/.test(l) || l.length > 255)) errors.labels = 'The label must not contain spaces and must be at most 255 characters.';
      }
      if (f.priority !== undefined && (!isObj(f.priority) || !PRIORITIES.includes(f.priority.name as string))) errors.priority = `Specify a valid priority: ${JSON.stringify(f.priority)}`;
      if (Object.keys(errors).length > 0) return bad(errors);
      seq++;
      const issue: JiraIssue = {
        id: String(10000 + seq),
        key: `${project}-${seq}`,
        fields: {
          project: { key: project },
          summary: f.summary as string,
          issuetype: { name: (f.issuetype as { name: string }).name },
          description: f.description,
          labels: (f.labels as string[] | undefined) ?? [],
          ...(f.priority ? { priority: { name: (f.priority as { name: string }).name } } : {}),
          status: STATUS.todo,
          resolution: null,
          created: new Date(Date.now() + seq).toISOString(),
        },
        comments: [],
      };
      issues.set(issue.key, issue);
      return { status: 201, body: { id: issue.id, key: issue.key, self: `/rest/api/3/issue/${issue.id}` } };
    }
    if (req.method === 'POST' && p === '/rest/api/3/search/jql') {
      if (!isObj(body) || Object.keys(body).some((k) => !SEARCH_KEYS.has(k)) || typeof body.jql !== 'string') return bad({}, ['Invalid request payload. Refer to the REST API documentation and try again.']);
      if (body.maxResults !== undefined && (typeof body.maxResults !== 'number' || body.maxResults < 1)) return bad({}, ['maxResults must be a positive number']);
      if (body.fields !== undefined && (!Array.isArray(body.fields) || body.fields.some((x) => typeof x !== 'string'))) return bad({}, ['fields must be a list of field names']);
      // the subset of JQL vigil speaks: labels = "X" [AND statusCategory != Done] [ORDER BY created DESC]
      const m = /^labels\s*=\s*"([^"\s]+)"(\s+AND\s+statusCategory\s*!=\s*Done)?(\s+ORDER\s+BY\s+created\s+(DESC|ASC))?$/i.exec(body.jql.trim());
      if (!m) return bad({}, [`Error in the JQL Query: this loopback Jira does not understand '${body.jql}'.`]);
      let found = [...issues.values()].filter((i) => i.fields.labels.includes(m[1]) && (!m[2] || i.fields.status.statusCategory.key !== 'done'));
      found.sort((a, b) => (a.fields.created < b.fields.created ? -1 : 1));
      if (!m[4] || m[4].toUpperCase() === 'DESC') found.reverse();
      found = found.slice(0, (body.maxResults as number | undefined) ?? 50);
      return { status: 200, body: { issues: found.map((i) => pick(i, (body.fields as string[] | undefined) ?? ['id'])), isLast: true } };
    }
    const im = /^\/rest\/api\/3\/issue\/([A-Z]+-\d+)(\/comment|\/transitions)?$/.exec(p);
    if (!im) return { status: 404, body: { errorMessages: [`no route ${req.method} ${p}`], errors: {} } };
    const issue = issues.get(im[1]);
    if (!issue) return notFound;
    if (req.method === 'GET' && !im[2]) return { status: 200, body: pick(issue, url.searchParams.get('fields')?.split(',')) };
    if (req.method === 'POST' && im[2] === '/comment') {
      if (!isObj(body) || body.body === undefined) return bad({ comment: 'Comment body can not be empty!' });
      const problem = adfProblem(body.body);
      if (problem) return bad({ comment: `Comment body is not a valid Atlassian Document: ${problem}` });
      issue.comments.push(body.body);
      return { status: 201, body: { id: String(issue.comments.length), body: body.body } };
    }
    if (req.method === 'GET' && im[2] === '/transitions') {
      return { status: 200, body: { expand: 'transitions', transitions: transitionsOf(issue).map(({ id, name, to }) => ({ id, name, to, hasScreen: false, isAvailable: true })) } };
    }
    if (req.method === 'POST' && im[2] === '/transitions') {
      if (!isObj(body) || !isObj(body.transition) || typeof body.transition.id !== 'string') return bad({}, ['transition.id is required']);
      if (!move(issue, body.transition.id)) return bad({}, [`Transition id '${body.transition.id}' is not valid for this issue.`]);
      return { status: 204 };
    }
    return { status: 405, body: { errorMessages: ['Method Not Allowed'], errors: {} } };
  }, opts.tls);
  return Object.assign(base, {
    issues,
    transition(key: string, name: string) {
      const issue = issues.get(key)!;
      const t = transitionsOf(issue).find((x) => x.name === name);
      if (!t) throw new Error(`no transition ${name} from ${issue.fields.status.name}`);
      move(issue, t.id);
    },
  });
}

// ---------------------------------------------------------------------------------------
// GitHub REST issues (docs.github.com/en/rest/issues)

export interface GithubIssue {
  number: number;
  title: string;
  body: string | null;
  labels: { name: string }[];
  state: 'open' | 'closed';
  state_reason: 'completed' | 'not_planned' | 'reopened' | 'duplicate' | null;
  closed_by: { login: string; type: 'User' | 'Bot' } | null;
  html_url: string;
  comments: string[];
}

export interface GithubServer extends TicketingServer {
  readonly issues: Map<number, GithubIssue>;
  /** What a person does on github.com: close an issue as not planned. */
  closeAsNotPlanned(n: number): void;
  /** An admin deletes the issue: GitHub answers 410 Gone for it from then on. */
  deleteIssue(n: number): void;
}

export async function startGithub(opts: { repo: string; token: string }): Promise<GithubServer> {
  const issues = new Map<number, GithubIssue>();
  const deleted = new Set<number>();
  let seq = 0;
  const err = (status: number, message: string, errors?: unknown[]): Answer => ({ status, body: { message, ...(errors ? { errors } : {}), documentation_url: 'https://docs.github.com/rest/issues/issues', status: String(status) } });
  const invalid = (field: string, code = 'invalid') => err(422, 'Validation Failed', [{ resource: 'Issue', code, field }]);
  const prefix = `/repos/${opts.repo}/issues`;
  const json = (i: GithubIssue) => ({ ...i, comments: i.comments.length });

  const base = await serve((req, url) => {
    if (!req.headers['user-agent']) return err(403, 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.');
    if (req.headers.authorization !== `Bearer ${opts.token}`) return err(401, 'Bad credentials');
    if (req.headers['x-github-api-version'] !== undefined && req.headers['x-github-api-version'] !== '2022-11-28') return err(400, `API version ${String(req.headers['x-github-api-version'])} is not supported.`);
    if (req.headers.accept !== 'application/vnd.github+json') return err(415, 'Unsupported Accept header: send application/vnd.github+json');
    const p = url.pathname;
    if (!p.startsWith(prefix)) return err(404, 'Not Found');
    const rest = p.slice(prefix.length);
    const body = req.json as Record<string, unknown> | undefined;
    if (req.method === 'POST' && rest === '') {
      if (!isObj(body)) return err(400, 'Problems parsing JSON');
      if (typeof body.title !== 'string' || body.title.trim() === '') return invalid('title', 'missing_field');
      if (body.title.length > 256) return invalid('title');
      if (body.body !== undefined && body.body !== null && (typeof body.body !== 'string' || body.body.length > 65_536)) return invalid('body');
      if (body.labels !== undefined && (!Array.isArray(body.labels) || body.labels.some((l) => typeof l !== 'string' || l === '' || l.length > 50))) return invalid('labels');
      seq++;
      const issue: GithubIssue = {
        number: seq,
        title: body.title,
        body: (body.body as string | undefined) ?? null,
        labels: ((body.labels as string[] | undefined) ?? []).map((name) => ({ name })),
        state: 'open',
        state_reason: null,
        closed_by: null,
        html_url: `https://github.com/${opts.repo}/issues/${seq}`,
        comments: [],
      };
      issues.set(seq, issue);
      return { status: 201, body: json(issue) };
    }
    const m = /^\/(\d+)(\/comments)?$/.exec(rest);
    if (!m) return err(404, 'Not Found');
    if (deleted.has(Number(m[1]))) return err(410, 'This issue was deleted');
    const issue = issues.get(Number(m[1]));
    if (!issue) return err(404, 'Not Found');
    if (req.method === 'GET' && !m[2]) return { status: 200, body: json(issue) };
    if (req.method === 'POST' && m[2]) {
      if (!isObj(body) || typeof body.body !== 'string' || body.body === '') return err(422, 'Validation Failed', [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }]);
      issue.comments.push(body.body);
      return { status: 201, body: { id: issue.comments.length, body: body.body, html_url: `${issue.html_url}#issuecomment-${issue.comments.length}` } };
    }
    if (req.method === 'PATCH' && !m[2]) {
      if (!isObj(body)) return err(400, 'Problems parsing JSON');
      if (body.state !== undefined && body.state !== 'open' && body.state !== 'closed') return invalid('state');
      if (body.state_reason !== undefined && body.state_reason !== null && !['completed', 'not_planned', 'reopened', 'duplicate'].includes(body.state_reason as string)) return invalid('state_reason');
      if (body.state === 'closed') {
        issue.state = 'closed';
        issue.state_reason = (body.state_reason as GithubIssue['state_reason']) ?? 'completed';
        issue.closed_by = { login: 'vigil[bot]', type: 'Bot' };
      } else if (body.state === 'open') {
        issue.state = 'open';
        issue.state_reason = 'reopened';
        issue.closed_by = null;
      }
      return { status: 200, body: json(issue) };
    }
    return err(404, 'Not Found');
  });
  return Object.assign(base, {
    issues,
    closeAsNotPlanned(n: number) {
      const issue = issues.get(n)!;
      Object.assign(issue, { state: 'closed', state_reason: 'not_planned', closed_by: { login: 'alice', type: 'User' } });
    },
    deleteIssue(n: number) {
      issues.delete(n);
      deleted.add(n);
    },
  });
}
