/** The Markdown report as a Slack message: mrkdwn sections within Slack's limits, tables as code blocks. */
import type { IncomingWebhookSendArguments } from '@slack/webhook';

/** Slack's limits: section text 3000 characters, 50 blocks, message text 40000 (we stay far below). */
const MAX_SECTION = 3000;
const MAX_BLOCKS = 45;
const MAX_FALLBACK = 3000;

type Block = NonNullable<IncomingWebhookSendArguments['blocks']>[number];

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A pipe table as aligned columns in a code block: Slack renders no tables. */
function tableToCode(lines: string[]): string {
  const rows = lines.filter((l) => !/^\|\s*---/.test(l)).map((l) => l.replace(/^\|\s?|\s?\|$/g, '').split(/\s\|\s/).map((c) => c.replace(/\\\|/g, '|').trim()));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return '```\n' + rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n```';
}

/** Markdown (as renderMarkdown writes it) to Slack mrkdwn paragraphs. */
export function markdownToMrkdwn(md: string): string[] {
  const paragraphs: string[] = [];
  for (const para of md.split(/\n{2,}/)) {
    const lines = para.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) continue;
    if (lines.every((l) => l.startsWith('|'))) {
      paragraphs.push(escape(tableToCode(lines)));
      continue;
    }
    paragraphs.push(
      lines
        .map((l) =>
          escape(l)
            .replace(/^#{1,6}\s+(.*)$/, '*$1*')
            .replace(/\*\*(.+?)\*\*/g, '*$1*')
            .replace(/^- /, '• ')
            .replace(/`([^`]+)`/g, '`$1`'),
        )
        .join('\n'),
    );
  }
  return paragraphs;
}

/** Cuts a paragraph to fit a section; a cut code block is closed again. */
function fit(text: string): string {
  if (text.length <= MAX_SECTION) return text;
  const code = text.startsWith('```');
  const room = MAX_SECTION - (code ? 5 : 1);
  const cut = text.slice(0, room);
  const at = cut.lastIndexOf('\n') > room / 2 ? cut.lastIndexOf('\n') : room;
  return text.slice(0, at) + (code ? '\n…```' : '…');
}

export function slackReportMessage(md: string, channel?: string): IncomingWebhookSendArguments {
  const paragraphs = markdownToMrkdwn(md).map(fit);
  const blocks: Block[] = [];
  let current = '';
  for (const p of paragraphs) {
    if (current && current.length + 2 + p.length > MAX_SECTION) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: current } });
      current = p;
    } else current = current ? `${current}\n\n${p}` : p;
  }
  if (current) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: current } });
  if (blocks.length > MAX_BLOCKS) {
    blocks.splice(MAX_BLOCKS - 1);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Report cut to fit Slack: the full report is in the report folder.' }] });
  }
  const title = paragraphs[0] ?? 'vigil alert review';
  const message: IncomingWebhookSendArguments = { text: title.slice(0, MAX_FALLBACK), blocks };
  if (channel) message.channel = channel;
  return message;
}
