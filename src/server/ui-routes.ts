// The web UI's HTTP side: pages rendered by src/ui from what the router, evaluator and store hold,
// its two assets, and the two endpoints the pages need beyond the existing API (silence preview, feedback).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import express, { type Request, type Response } from 'express';
import type { Evaluator } from '../eval/index.js';
import { InhibitIndex, matchesAll, parseMatchers, type InhibitRule, type Matcher, type Route } from '../route/index.js';
import { alertEvent, type Store } from '../store/index.js';
import {
  alertsPage,
  alertsRegion,
  historyPage,
  parseLabelSet,
  routingPage,
  rulePage,
  rulesPage,
  runbookPage,
  runbooksIndexPage,
  reviewPage,
  REVIEW_FILE,
  silenceFormPage,
  silenceMatcherText,
  silencesPage,
  silencesRegion,
  testRoute,
  uiAssets,
  type AlertMarks,
  type AlertsPageInput,
  type Html,
  type RuleGroupView,
  type SilenceSummary,
  type TicketLink,
} from '../ui/index.js';
import { rulesResponse } from './api.js';
import { compileApiSchema, jsonBody, schemaProblems, sendError, summarize } from './ingest.js';
import type { RouterPort } from './ports.js';

export interface UiDeps {
  router: RouterPort;
  /** The routing tree and inhibit rules in force, read per request so a reload shows. */
  routing: () => { route: Route; inhibitRules: readonly InhibitRule[] };
  evaluator: Pick<Evaluator, 'allGroups'>;
  store: Pick<Store, 'queryAlertEvents' | 'queryNotifications' | 'recordAlertEvents' | 'listTickets'>;
  /** Whether server.bearer_token is set: the pages then ask for it before writes. */
  tokenRequired: () => boolean;
  now?: () => number;
  /** report.out_dir and report.schedule: where the weekly reviews are written, and when. */
  review?: () => { outDir: string; schedule: string };
  /** vigil serves Prometheus' query API (embedded datasource): rule pages draw their expression. */
  queryApi?: boolean;
}

// Scripts and styles only from vigil itself: an injected tag could not run even if escaping failed.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

function sendPage(res: Response, page: Html): void {
  res
    .status(200)
    .type('html')
    .set('Content-Security-Policy', CSP)
    .set('Referrer-Policy', 'same-origin')
    .set('X-Content-Type-Options', 'nosniff')
    .set('Cache-Control', 'no-store')
    .send(page.text);
}

function param(req: Request, name: string): string {
  const v = req.query[name];
  return typeof v === 'string' ? v : '';
}

const validateFeedback = compileApiSchema({
  type: 'object',
  required: ['fingerprint', 'verdict', 'by'],
  additionalProperties: false,
  properties: {
    fingerprint: { type: 'string', minLength: 1 },
    verdict: { enum: ['actionable', 'noise'] },
    by: { type: 'string', minLength: 1 },
  },
});

export function uiRoutes(deps: UiDeps): express.Router {
  const now = deps.now ?? Date.now;
  const r = express.Router();
  const assets = uiAssets();
  const tokenRequired = () => deps.tokenRequired();

  r.get('/ui/app.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'no-cache').send(assets['app.js']);
  });
  r.get('/ui/style.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'no-cache').send(assets['style.css']);
  });

  /** The newest ack and verdict of each episode, from the last 1000 such events. */
  const marks = async (): Promise<Map<string, AlertMarks>> => {
    const out = new Map<string, AlertMarks>();
    for (const e of (await deps.store.queryAlertEvents({ kinds: ['acknowledged', 'feedback'], limit: 1000 })).items) {
      const key = `${e.fingerprint}@${e.startsAt}`;
      const m = out.get(key) ?? {};
      if (e.kind === 'acknowledged' && m.ackedBy === undefined) m.ackedBy = String(e.detail?.by ?? '?');
      if (e.kind === 'feedback' && m.verdict === undefined) m.verdict = String(e.detail?.verdict ?? '?');
      out.set(key, m);
    }
    return out;
  };

  r.get('/', async (req, res) => {
    const [openTickets, alertMarks] = await Promise.all([deps.store.listTickets({ status: 'open', limit: 1000 }), marks()]);
    const at = now();
    const silences = new Map<string, SilenceSummary>(deps.router.silences.list(at).map((s) => [s.id, s]));
    const tickets = new Map<string, TicketLink>(openTickets.map((t) => [t.groupKey, t]));
    const input: AlertsPageInput = {
      held: deps.router.alerts(),
      route: deps.routing().route,
      now: at,
      filter: param(req, 'filter'),
      view: param(req, 'view') === 'table' ? 'table' : 'groups',
      limit: param(req, 'limit') === 'all' ? 'all' : /^[1-9]\d{0,5}$/.test(param(req, 'limit')) ? Number(param(req, 'limit')) : undefined,
      silences,
      marks: alertMarks,
      tickets,
      tokenRequired: tokenRequired(),
    };
    if (param(req, 'partial') === '1') return sendPage(res, alertsRegion(input));
    sendPage(res, alertsPage(input));
  });

  r.get('/silences', (req, res) => {
    const at = now();
    const list = deps.router.silences.list(at);
    if (param(req, 'partial') === '1') return sendPage(res, silencesRegion(list, at));
    sendPage(res, silencesPage({ silences: list, now: at, tokenRequired: tokenRequired() }));
  });

  r.get('/silences/new', (req, res) => {
    const at = now();
    const id = param(req, 'id');
    const editing = id ? deps.router.silences.get(id, at) : undefined;
    if (id && !editing) return sendError(res, 404, `silence ${id} not found`);
    const recreate = param(req, 'recreate') === '1';
    sendPage(
      res,
      silenceFormPage({
        editing: recreate ? undefined : editing,
        matchers: editing ? silenceMatcherText(editing.matchers) : param(req, 'matchers'),
        createdBy: editing?.createdBy ?? '',
        comment: editing?.comment ?? '',
        startsAt: editing && !recreate ? editing.startsAt : at,
        endsAt: editing && !recreate ? editing.endsAt : at + 2 * 3600_000,
        tokenRequired: tokenRequired(),
      }),
    );
  });

  // What a silence with these matchers would mute now: the form's live preview and its parser.
  r.get('/api/v1/silences/preview', (req, res) => {
    let matchers: Matcher[];
    try {
      matchers = parseMatchers(param(req, 'matchers'));
    } catch (err) {
      return sendError(res, 400, `matchers: ${(err as Error).message}`);
    }
    const at = now();
    const hit = matchers.length === 0 ? [] : deps.router.alerts().filter(({ alert }) => alert.endsAt >= at && matchesAll(matchers, alert.labels));
    res.json({
      count: hit.length,
      matchers: matchers.map((m) => ({ name: m.name, value: m.value, isRegex: m.type === '=~' || m.type === '!~', isEqual: m.type === '=' || m.type === '=~' })),
      alerts: hit.slice(0, 100).map(({ alert }) => ({ fingerprint: alert.fingerprint, text: `${alert.labels.alertname ?? ''} ${silenceMatcherText(Object.entries(alert.labels).map(([name, value]) => ({ name, type: '=', value })))}` })),
    });
  });

  // The UI's actionable/noise buttons: the same feedback event a Slack link records, for the alert's current episode.
  r.post('/api/v1/alerts/feedback', ...jsonBody(64 * 1024), (req, res) => {
    const problems = schemaProblems(validateFeedback, req.body);
    if (problems.length) return sendError(res, 400, summarize(problems));
    const body = req.body as { fingerprint: string; verdict: 'actionable' | 'noise'; by: string };
    const held = deps.router.alerts().find(({ alert }) => alert.fingerprint === body.fingerprint);
    if (!held) return sendError(res, 404, `fingerprint: no alert ${body.fingerprint} is held`);
    deps.store.recordAlertEvents([alertEvent(held.alert, now(), 'feedback', 'api', { verdict: body.verdict, by: body.by })]);
    res.json({ recorded: 1 });
  });

  const ruleGroups = (): RuleGroupView[] => rulesResponse(deps.evaluator.allGroups()).data.groups as RuleGroupView[];
  r.get('/rules', (_req, res) => sendPage(res, rulesPage({ groups: ruleGroups(), tokenRequired: tokenRequired() })));
  r.get('/rules/detail', (req, res) => {
    const group = ruleGroups().find((g) => g.name === param(req, 'group'));
    const rule = group?.rules.find((x) => x.name === param(req, 'rule'));
    if (!group || !rule) return sendError(res, 404, `no rule "${param(req, 'rule')}" in group "${param(req, 'group')}"`);
    sendPage(res, rulePage({ group, rule, tokenRequired: tokenRequired(), graph: deps.queryApi }));
  });

  r.get('/routing', (req, res) => {
    const { route, inhibitRules } = deps.routing();
    const labelsText = param(req, 'labels');
    if (!labelsText) return sendPage(res, routingPage({ route, labelsText, tokenRequired: tokenRequired() }));
    const { labels, error } = parseLabelSet(labelsText);
    if (!labels) return sendPage(res, routingPage({ route, labelsText, error, tokenRequired: tokenRequired() }));
    const at = now();
    const silencedBy = deps.router.silences
      .mutes(labels, at)
      .map((id) => deps.router.silences.get(id, at))
      .filter((s) => s !== undefined)
      .map((s) => ({ id: s.id, createdBy: s.createdBy, comment: s.comment }));
    const held = deps.router.alerts().map((h) => h.alert);
    const inhibition = new InhibitIndex(inhibitRules as InhibitRule[], held, at).inhibits(labels);
    const inhibitedBy = inhibition ? { fingerprint: inhibition.source.fingerprint, labels: inhibition.source.labels } : undefined;
    sendPage(res, routingPage({ route, labelsText, result: { labels, routes: testRoute(route, labels), silencedBy, inhibitedBy }, tokenRequired: tokenRequired() }));
  });

  r.get('/history', async (req, res) => {
    const fingerprint = param(req, 'fingerprint');
    if (!/^[0-9a-f]{1,64}$/i.test(fingerprint)) return sendError(res, 400, `fingerprint: "${fingerprint}" is not an alert fingerprint (hex)`);
    const events = (await deps.store.queryAlertEvents({ fingerprint, limit: 1000 })).items;
    const from = events.length ? Math.min(...events.map((e) => e.at)) : now() - 24 * 3600_000;
    const notifications = (await deps.store.queryNotifications({ from, limit: 1000 })).items.filter((n) => n.firing.includes(fingerprint) || n.resolved.includes(fingerprint));
    const groups = new Set(notifications.map((n) => n.groupKey));
    const tickets = groups.size ? (await deps.store.listTickets({ limit: 1000 })).filter((t) => groups.has(t.groupKey)) : [];
    sendPage(res, historyPage({ fingerprint, events, notifications, tickets, tokenRequired: tokenRequired() }));
  });

  r.get('/runbooks', async (_req, res) => sendPage(res, await runbooksIndexPage(tokenRequired())));
  r.get('/runbooks/:name', async (req, res) => {
    const page = await runbookPage(req.params.name, tokenRequired());
    if (!page) return sendError(res, 404, `no runbook "${req.params.name}" is shipped in runbooks/`);
    sendPage(res, page);
  });

  const reviewDays = async (dir: string): Promise<string[]> => {
    const files = await readdir(dir).catch(() => [] as string[]);
    return files.flatMap((f) => REVIEW_FILE.exec(f)?.[1] ?? []);
  };
  r.get('/review', async (req, res) => {
    const { outDir, schedule } = deps.review?.() ?? { outDir: '(report.out_dir)', schedule: '(report.schedule)' };
    const days = await reviewDays(outDir);
    const day = param(req, 'day');
    if (day && !days.includes(day)) return sendError(res, 404, `day: no weekly review of "${day}"`);
    sendPage(res, reviewPage({ days, shown: day || undefined, outDir, schedule, tokenRequired: tokenRequired() }));
  });
  // the report as src/report rendered it: its own inline styles and SVG charts, no script
  r.get('/review/:file', async (req, res) => {
    const m = /^(\d{4}-\d{2}-\d{2})\.html$/.exec(req.params.file);
    const outDir = deps.review?.().outDir;
    if (!m || !outDir || !(await reviewDays(outDir)).includes(m[1])) return sendError(res, 404, `no weekly review "${req.params.file}"`);
    res
      .type('html')
      .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")
      .set('X-Content-Type-Options', 'nosniff')
      .send(await readFile(join(outDir, `vigil-report-${m[1]}.html`), 'utf8'));
  });

  return r;
}
