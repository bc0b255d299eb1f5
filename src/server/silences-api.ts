// Alertmanager's silences API v2: plural paths to list and post, singular `/silence/{id}` to get
// and delete, exactly as amtool and Grafana call them.

import express from 'express';
import { SilenceError, type Matcher, type Silences, type SilenceWithState } from '../route/index.js';
import { compileApiSchema, parseRfc3339, queryMatchers, rfc3339, schemaProblems, sendError, summarize } from './ingest.js';

/** A silence in Alertmanager's gettableSilence shape. */
export function gettableSilence(s: SilenceWithState) {
  return {
    id: s.id,
    status: { state: s.state },
    updatedAt: rfc3339(s.updatedAt),
    matchers: s.matchers.map((m) => ({ name: m.name, value: m.value, isRegex: m.type === '=~' || m.type === '!~', isEqual: m.type === '=' || m.type === '=~' })),
    startsAt: rfc3339(s.startsAt),
    endsAt: rfc3339(s.endsAt),
    createdBy: s.createdBy,
    comment: s.comment,
  };
}

/** Alertmanager's postableSilence; isEqual defaults to true, as in its spec. */
const validatePostable = compileApiSchema({
  type: 'object',
  required: ['matchers', 'startsAt', 'endsAt', 'createdBy', 'comment'],
  properties: {
    id: { type: 'string' },
    matchers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'value', 'isRegex'],
        properties: { name: { type: 'string' }, value: { type: 'string' }, isRegex: { type: 'boolean' }, isEqual: { type: 'boolean' } },
      },
    },
    startsAt: { type: 'string', format: 'date-time' },
    endsAt: { type: 'string', format: 'date-time' },
    createdBy: { type: 'string' },
    comment: { type: 'string' },
  },
});

interface PostableSilence {
  id?: string;
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

function matcherType(m: PostableSilence['matchers'][number]): Matcher['type'] {
  const equal = m.isEqual ?? true;
  if (m.isRegex) return equal ? '=~' : '!~';
  return equal ? '=' : '!=';
}

export interface SilencesApiDeps {
  silences: Silences;
  now: () => number;
  /** limits.silences: silences active or pending at most (0: none); an update of a held one always gets in. */
  maxSilences?: () => number;
  onRefused?: () => void;
}

/** Mounts the silence endpoints on a router whose POST bodies are already parsed as JSON. */
export function silencesRoutes({ silences, now, maxSilences, onRefused }: SilencesApiDeps): express.Router {
  const r = express.Router();
  const fail = (res: express.Response, err: unknown) => {
    if (err instanceof SilenceError) return sendError(res, err.status, err.message);
    throw err;
  };

  r.get('/api/v2/silences', (req, res) => {
    let filter: Matcher[];
    try {
      filter = queryMatchers(req);
    } catch (err) {
      return sendError(res, 400, (err as Error).message);
    }
    res.json(silences.list(now(), filter).map(gettableSilence));
  });

  r.get('/api/v2/silence/:id', (req, res) => {
    const s = silences.get(req.params.id, now());
    if (!s) return sendError(res, 404, `silence ${req.params.id} not found`);
    res.json(gettableSilence(s));
  });

  r.post('/api/v2/silences', (req, res) => {
    const problems = schemaProblems(validatePostable, req.body);
    if (problems.length) return sendError(res, 400, summarize(problems));
    const body = req.body as PostableSilence;
    const max = maxSilences?.() ?? 0;
    if (max > 0 && !(body.id && silences.get(body.id, now()))) {
      const held = silences.list(now()).filter((x) => x.state !== 'expired').length;
      if (held >= max) {
        onRefused?.();
        return sendError(res, 429, `limits.silences reached: ${held} silences are active or pending (at most ${max}); expire some first`);
      }
    }
    try {
      const silenceID = silences.upsert(
        {
          ...(body.id ? { id: body.id } : {}),
          matchers: body.matchers.map((m) => ({ name: m.name, type: matcherType(m), value: m.value })),
          startsAt: parseRfc3339(body.startsAt)!,
          endsAt: parseRfc3339(body.endsAt)!,
          createdBy: body.createdBy,
          comment: body.comment,
        },
        now(),
      );
      res.json({ silenceID });
    } catch (err) {
      fail(res, err);
    }
  });

  r.delete('/api/v2/silence/:id', (req, res) => {
    try {
      silences.expire(req.params.id, now());
      res.status(200).end();
    } catch (err) {
      fail(res, err);
    }
  });
  return r;
}
