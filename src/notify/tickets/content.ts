/** What a ticket says, as neutral blocks that render to Markdown (GitHub, local) and to Atlassian Document Format (Jira). */
import { createHash } from 'node:crypto';
import type { RoutedAlert } from '../../route/index.js';
import { alertNames, formatLabels, highestSeverity, safeURL, truncate } from '../render.js';
import type { Delivery } from '../types.js';

/** A run of text, optionally a link or bold. */
export interface Inline {
  text: string;
  href?: string;
  strong?: boolean;
}

export type Block = { type: 'paragraph'; content: Inline[] } | { type: 'bullets'; items: Inline[][] };

/** Alerts listed in one ticket body or comment before "and N more" (Jira's description is limited to 32 KB). */
const MAX_LISTED = 50;

/** First 16 hex of sha256(groupKey): a stable, space-free id of the group, for Jira's `ALERT{hash}` label. */
export function groupHash(groupKey: string): string {
  return createHash('sha256').update(groupKey).digest('hex').slice(0, 16);
}

/** `[P2] AgentToolFailure agent_id=search`: severity is the highest firing (or resolved, when nothing fires). */
export function ticketTitle(delivery: Delivery, max = 255): string {
  const n = delivery.notification;
  const sev = highestSeverity(n.firing.length > 0 ? n.firing : n.resolved);
  const group = formatLabels(n.groupLabels, ['alertname', 'severity']);
  // one line: Jira rejects a summary with a newline, and a label value may hold one
  return truncate(`${sev ? `[${sev}] ` : ''}${alertNames(delivery)}${group ? ' ' + group : ''}`.replace(/\s*[\r\n]+\s*/g, ' '), max);
}

/** "2h 5m", "5m", "45s", "1d 3h": how long a group fired, for the resolve comment. */
export function firedFor(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}

/** One alert as a list item: name and labels, summary/description, runbook and source links. */
function alertItem(a: RoutedAlert): Inline[] {
  const out: Inline[] = [{ text: a.labels.alertname ?? 'alert', strong: true }];
  const labels = formatLabels(a.labels, ['alertname']);
  if (labels) out.push({ text: ` ${labels}` });
  const text = [a.annotations.summary, a.annotations.description].filter((x): x is string => Boolean(x && x.trim()));
  if (text.length > 0) out.push({ text: ` — ${text.join(' ')}` });
  const runbook = safeURL(a.annotations.runbook_url);
  const source = safeURL(a.generatorURL);
  if (runbook) out.push({ text: ' ' }, { text: 'runbook', href: runbook });
  if (source) out.push({ text: ' ' }, { text: 'source', href: source });
  return out;
}

/** The alerts as a bullet list, cut at MAX_LISTED with a line saying how many more. */
export function alertList(alerts: readonly RoutedAlert[]): Block[] {
  if (alerts.length === 0) return [];
  const blocks: Block[] = [{ type: 'bullets', items: alerts.slice(0, MAX_LISTED).map(alertItem) }];
  if (alerts.length > MAX_LISTED) blocks.push({ type: 'paragraph', content: [{ text: `… and ${alerts.length - MAX_LISTED} more` }] });
  return blocks;
}

/** "Was this actionable? yes: <url> / no: <url>", when the delivery carries signed feedback links. */
export function feedbackBlock(delivery: Delivery): Block[] {
  const f = delivery.feedback;
  if (!f) return [];
  return [{ type: 'paragraph', content: [{ text: 'Was this actionable? yes: ' }, { text: f.actionable, href: f.actionable }, { text: ' / no: ' }, { text: f.noise, href: f.noise }] }];
}

/** The body of a new ticket: what fires, the alerts, the feedback links, and where it came from. */
export function ticketBody(delivery: Delivery): Block[] {
  const n = delivery.notification;
  const group = formatLabels(n.groupLabels);
  return [
    { type: 'paragraph', content: [{ text: `${n.firing.length} alert${n.firing.length === 1 ? '' : 's'} firing${group ? ` for ${group}` : ''}.` }] },
    ...alertList(n.firing),
    ...feedbackBlock(delivery),
    { type: 'paragraph', content: [{ text: 'Opened by vigil ' }, { text: delivery.externalURL, href: safeURL(delivery.externalURL) }] },
  ];
}

/** A re-fire comment: the new alerts and the ones resolved since; undefined on a pure repeat (nothing changed). */
export function changeComment(delivery: Delivery): Block[] | undefined {
  const n = delivery.notification;
  const byFp = new Map([...n.firing, ...n.resolved].map((a) => [a.fingerprint, a]));
  const pick = (fps: string[]) => fps.map((fp) => byFp.get(fp)).filter((a): a is RoutedAlert => a !== undefined);
  const fresh = pick(n.changes.new);
  const gone = pick(n.changes.resolved);
  if (fresh.length === 0 && gone.length === 0) return undefined;
  const blocks: Block[] = [];
  if (fresh.length > 0) blocks.push({ type: 'paragraph', content: [{ text: `${fresh.length} new alert${fresh.length === 1 ? '' : 's'} firing (${n.firing.length} in all):` }] }, ...alertList(fresh));
  if (gone.length > 0) blocks.push({ type: 'paragraph', content: [{ text: `${gone.length} resolved:` }] }, ...alertList(gone));
  return [...blocks, ...feedbackBlock(delivery)];
}

/** The comment on reopening: it fires again, and what. */
export function reopenComment(delivery: Delivery, resolvedAgoMs: number): Block[] {
  const n = delivery.notification;
  return [
    { type: 'paragraph', content: [{ text: `Firing again ${firedFor(resolvedAgoMs)} after it was resolved; reopened by vigil. ${n.firing.length} firing:` }] },
    ...alertList(n.firing),
    ...feedbackBlock(delivery),
  ];
}

/** The comment on resolving: "All alerts resolved; fired for 2h 5m." */
export function resolveComment(firingMs: number): Block[] {
  return [{ type: 'paragraph', content: [{ text: `All alerts resolved; fired for ${firedFor(firingMs)}. Resolved by vigil.` }] }];
}

// ---------------------------------------------------------------------------------------
// Renderers

const mdEscape = (s: string) => s.replace(/([\\`*_[\]<>|])/g, '\\$1');

function inlineMarkdown(parts: Inline[]): string {
  return parts
    .map((p) => {
      const t = mdEscape(p.text);
      const s = p.href ? `[${t}](${p.href.replace(/\)/g, '%29')})` : t;
      return p.strong ? `**${s}**` : s;
    })
    .join('');
}

/** GitHub-flavoured Markdown. */
export function toMarkdown(blocks: readonly Block[]): string {
  return blocks.map((b) => (b.type === 'paragraph' ? inlineMarkdown(b.content) : b.items.map((i) => `- ${inlineMarkdown(i)}`).join('\n'))).join('\n\n');
}

/** Plain text (no markup), for the Store's event detail and the CLI. */
export function toPlainText(blocks: readonly Block[]): string {
  const line = (parts: Inline[]) => parts.map((p) => (p.href && p.text !== p.href ? `${p.text} <${p.href}>` : p.text)).join('');
  return blocks.map((b) => (b.type === 'paragraph' ? line(b.content) : b.items.map((i) => `- ${line(i)}`).join('\n'))).join('\n');
}

export interface AdfNode {
  type: string;
  version?: number;
  text?: string;
  content?: AdfNode[];
  marks?: { type: string; attrs?: Record<string, string> }[];
}

function adfInline(parts: Inline[]): AdfNode[] {
  // ADF rejects empty text nodes
  return parts
    .filter((p) => p.text !== '')
    .map((p) => {
      const marks = [...(p.strong ? [{ type: 'strong' }] : []), ...(p.href ? [{ type: 'link', attrs: { href: p.href } }] : [])];
      return { type: 'text', text: p.text, ...(marks.length > 0 ? { marks } : {}) };
    });
}

/** Atlassian Document Format (Jira Cloud REST v3 descriptions and comments). */
export function toAdf(blocks: readonly Block[]): AdfNode {
  const content: AdfNode[] = blocks.map((b) =>
    b.type === 'paragraph'
      ? { type: 'paragraph', content: adfInline(b.content) }
      : { type: 'bulletList', content: b.items.map((i) => ({ type: 'listItem', content: [{ type: 'paragraph', content: adfInline(i) }] })) },
  );
  return { type: 'doc', version: 1, content };
}
