// The "actionable" / "noise" links of Slack messages and tickets, and acknowledgements over the API.
//
// A link is GET /api/v1/feedback/<id>.<a|n>.<mac>. The alert episodes it is about (fingerprint,
// startsAt, labels, plus the group key) are kept server-side in the Store's settings under <id>,
// so URLs stay short whatever the group's size; <id> is itself an HMAC of the episodes, so the same
// episodes reuse one entry. <mac> = HMAC-SHA256(key, id | verdict | sha256(entry)), base64url: a
// link cannot be forged, nor turned into the other verdict, nor pointed at other alerts.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { matchesAll, parseMatchers, type Labels, type Matcher, type Notification, type RoutedAlert } from '../route/index.js';
import { alertEvent, type Store } from '../store/index.js';
import { compileApiSchema, jsonBody, schemaProblems, sendError, summarize } from './ingest.js';

export type Verdict = 'actionable' | 'noise';

/** Where the generated signing key is kept. */
export const SIGNING_KEY_SETTING = 'feedback_signing_key';
const ENTRY_PREFIX = 'feedback_link:';
const TOKEN = /^([A-Za-z0-9_-]{22})\.([an])\.([A-Za-z0-9_-]{43})$/;

/** One alert episode a link is about. */
export interface FeedbackEpisode {
  fingerprint: string;
  startsAt: number;
  labels: Labels;
}

/** What a valid link says. */
export interface FeedbackClaim {
  verdict: Verdict;
  groupKey: string;
  episodes: FeedbackEpisode[];
}

export interface FeedbackLinksOptions {
  store: Pick<Store, 'initSetting' | 'setSetting' | 'getSetting'>;
  /** vigil's external URL (server.external_url); links are `${externalURL}/api/v1/feedback/<token>`. */
  externalURL: string;
  /** feedback.signing_key; without it a key is generated once and kept in the Store. */
  signingKey?: string;
}

const b64url = (b: Buffer) => b.toString('base64url');

/** Link entries this process wrote are remembered (so a repeat notification writes nothing) up to this many, for this long: history retention may drop them. */
const WRITTEN_MEMORY = 10_000;
const WRITTEN_MEMORY_MS = 3600_000;

export class FeedbackLinks {
  private readonly key: Buffer;
  private readonly base: string;
  private readonly store: FeedbackLinksOptions['store'];
  private readonly written = new Set<string>();
  private writtenSince = 0;

  private constructor(opts: FeedbackLinksOptions, key: Buffer) {
    this.store = opts.store;
    this.base = opts.externalURL.replace(/\/+$/, '');
    this.key = key;
  }

  /** Links signed with feedback.signing_key, or else with the key kept in the Store (made on first use): links outlive restarts. */
  static async open(opts: FeedbackLinksOptions): Promise<FeedbackLinks> {
    return new FeedbackLinks(opts, opts.signingKey ? Buffer.from(opts.signingKey, 'utf8') : await FeedbackLinks.storedKey(opts.store));
  }

  /** Replicas that start together on a new database agree on one key: the first one kept. */
  private static async storedKey(store: FeedbackLinksOptions['store']): Promise<Buffer> {
    return Buffer.from(await store.initSetting(SIGNING_KEY_SETTING, b64url(randomBytes(32))), 'base64url');
  }

  /** Links for a notification's firing alerts (its resolved ones when nothing fires); undefined when it has no alert. */
  linksFor(n: Pick<Notification, 'groupKey' | 'firing' | 'resolved'>): { actionable: string; noise: string } | undefined {
    const alerts = n.firing.length > 0 ? n.firing : n.resolved;
    if (alerts.length === 0) return undefined;
    const episodes = alerts
      .map((a) => ({ fingerprint: a.fingerprint, startsAt: a.startsAt, labels: a.labels }))
      .sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : a.startsAt - b.startsAt));
    const entry = JSON.stringify({ g: n.groupKey, e: episodes });
    const id = b64url(this.hmac(`id|${entry}`).subarray(0, 16));
    // the id is a MAC of the entry: the same id always carries the same entry
    const t = Date.now();
    if (this.written.size >= WRITTEN_MEMORY || t - this.writtenSince > WRITTEN_MEMORY_MS) {
      this.written.clear();
      this.writtenSince = t;
    }
    if (!this.written.has(id)) {
      this.store.setSetting(ENTRY_PREFIX + id, entry);
      this.written.add(id);
    }
    const url = (v: Verdict) => `${this.base}/api/v1/feedback/${id}.${v[0]}.${b64url(this.mac(id, v, entry))}`;
    return { actionable: url('actionable'), noise: url('noise') };
  }

  /** What a token claims, when it is genuine; undefined for anything forged, altered or unknown. */
  async verify(token: string): Promise<FeedbackClaim | undefined> {
    const m = TOKEN.exec(token);
    if (!m) return undefined;
    const [, id, v, mac] = m;
    const verdict: Verdict = v === 'a' ? 'actionable' : 'noise';
    const entry = await this.store.getSetting(ENTRY_PREFIX + id);
    if (entry === undefined) return undefined;
    // constant-time, and on the text rather than decoded bytes: base64url's last character has unused bits, so two texts can decode alike
    const expected = Buffer.from(b64url(this.mac(id, verdict, entry)));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const parsed = JSON.parse(entry) as { g: string; e: FeedbackEpisode[] };
    return { verdict, groupKey: parsed.g, episodes: parsed.e };
  }

  private hmac(text: string): Buffer {
    return createHmac('sha256', this.key).update(text).digest();
  }

  private mac(id: string, verdict: Verdict, entry: string): Buffer {
    return this.hmac(`vigil-feedback|${id}|${verdict}|${createHash('sha256').update(entry).digest('hex')}`);
  }
}

const PREVIEW_AGENTS = /Slackbot|Slack-ImgProxy|facebookexternalhit|Twitterbot|Discordbot|TelegramBot|LinkedInBot|WhatsApp|SkypeUriPreview/i;

export interface FeedbackRoutesDeps {
  links: Pick<FeedbackLinks, 'verify'>;
  store: Pick<Store, 'recordAlertEvent' | 'recordAlertEvents' | 'queryAlertEvents'>;
  /** The alerts the router holds now, for POST /api/v1/alerts/ack. */
  currentAlerts?: () => RoutedAlert[];
  now?: () => number;
  /** Largest ack body; default 64 KiB. */
  maxRequestBytes?: number;
}

function page(res: Response, status: number, title: string, text: string): void {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  res
    .status(status)
    .type('html')
    .set('Cache-Control', 'no-store')
    .set('Referrer-Policy', 'no-referrer') // the token must not leak to whatever the page links to
    .send(`<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body style="font-family:sans-serif;margin:3em"><h1>${esc(title)}</h1><p>${esc(text)}</p></body></html>\n`);
}

/** The verdict last given for one episode, if any (newest event first). */
async function currentVerdict(store: FeedbackRoutesDeps['store'], e: FeedbackEpisode): Promise<unknown> {
  const { items } = await store.queryAlertEvents({ fingerprint: e.fingerprint, kinds: ['feedback'], limit: 1000 });
  return items.find((x) => x.startsAt === e.startsAt)?.detail?.verdict;
}

interface AckBody {
  fingerprint?: string;
  matchers?: string[];
  by: string;
  comment?: string;
}

const validateAck = compileApiSchema({
  type: 'object',
  required: ['by'],
  additionalProperties: false,
  properties: {
    fingerprint: { type: 'string', minLength: 1 },
    matchers: { type: 'array', items: { type: 'string', minLength: 1 } },
    by: { type: 'string', minLength: 1 },
    comment: { type: 'string' },
  },
});

/** GET /api/v1/feedback/:token (a GET, so it works from a Slack click) and POST /api/v1/alerts/ack. */
export function feedbackRoutes(deps: FeedbackRoutesDeps): express.Router {
  const { links, store } = deps;
  const now = deps.now ?? Date.now;
  const router = express.Router();

  router.get('/api/v1/feedback/:token', async (req: Request, res: Response) => {
    const claim = await links.verify(String(req.params.token));
    if (!claim) return page(res, 403, 'Link not valid', 'This feedback link is not one vigil made, or it was altered.');
    // link unfurlers (Slack's among them) fetch URLs no one clicked: they see the page, record nothing
    if (req.method === 'HEAD' || PREVIEW_AGENTS.test(req.get('user-agent') ?? '')) return page(res, 200, 'vigil feedback', 'Open this link to record your verdict.');
    const at = now();
    // a second click of the same link changes nothing; the other verdict replaces the first
    const verdicts = await Promise.all(claim.episodes.map((e) => currentVerdict(store, e)));
    const changed = claim.episodes.filter((_, i) => verdicts[i] !== claim.verdict);
    if (changed.length > 0) store.recordAlertEvents(changed.map((e) => alertEvent(e, at, 'feedback', 'link', { verdict: claim.verdict })));
    const n = claim.episodes.length;
    page(res, 200, `Thanks — marked as ${claim.verdict}`, `${n} alert${n === 1 ? '' : 's'} of this notification ${n === 1 ? 'is' : 'are'} now marked ${claim.verdict}. It counts in the weekly alert review.`);
  });

  router.post('/api/v1/alerts/ack', ...jsonBody(deps.maxRequestBytes ?? 64 * 1024), (req: Request, res: Response) => {
    const problems = schemaProblems(validateAck, req.body);
    if (problems.length) return sendError(res, 400, summarize(problems));
    const body = req.body as AckBody;
    if (body.fingerprint === undefined && (body.matchers ?? []).length === 0) {
      return sendError(res, 400, 'fingerprint or matchers: give one, so that not every alert is acknowledged');
    }
    let matchers: Matcher[];
    try {
      matchers = (body.matchers ?? []).flatMap((text, i) => {
        try {
          return parseMatchers(text);
        } catch (err) {
          throw new Error(`matchers[${i}]: ${JSON.stringify(text)} is not a matcher: ${(err as Error).message}`);
        }
      });
    } catch (err) {
      return sendError(res, 400, (err as Error).message);
    }
    const at = now();
    const matching = (deps.currentAlerts?.() ?? []).filter(
      (a) => a.endsAt > at && (body.fingerprint === undefined || a.fingerprint === body.fingerprint) && matchesAll(matchers, a.labels),
    );
    // the CLI says who it is, so the history tells `vigil ack` from other API callers
    const source = /^vigil-cli\b/.test(req.get('user-agent') ?? '') ? 'cli' : 'api';
    const detail = { by: body.by, ...(body.comment ? { comment: body.comment } : {}) };
    if (matching.length > 0) store.recordAlertEvents(matching.map((a) => alertEvent(a, at, 'acknowledged', source, detail)));
    res.json({ acknowledged: matching.length });
  });

  return router;
}
