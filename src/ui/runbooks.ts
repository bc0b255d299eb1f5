// The shipped runbooks (runbooks/*.md) as HTML pages: markdown by `marked`, then sanitize-html, so even a
// runbook edited by someone else cannot put a script or an event handler on vigil's origin.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { html, raw } from './html.js';
import { layout } from './layout.js';

/** runbooks/ of the package: beside dist/ and src/ alike. */
export const RUNBOOKS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'runbooks');

const NAME = /^[a-z0-9][a-z0-9-]*$/;

/** The runbook names (without .md) in a directory. */
export async function runbookNames(dir = RUNBOOKS_DIR): Promise<string[]> {
  const files = await readdir(dir).catch(() => [] as string[]);
  return files.flatMap((f) => (f.endsWith('.md') && NAME.test(f.slice(0, -3)) ? [f.slice(0, -3)] : [])).sort();
}

/** marked and sanitize-html, loaded at the first runbook shown: sanitize-html (with postcss) alone is ~10 MiB that `vigil serve` holds otherwise. */
const renderers = () => Promise.all([import('marked'), import('sanitize-html')]).then(([m, s]) => ({ marked: m.marked, sanitizeHtml: s.default }));
let loaded: ReturnType<typeof renderers> | undefined;

/** Markdown to HTML that keeps text, headings, lists, tables, code and links, and nothing that runs. */
export async function renderMarkdown(md: string): Promise<string> {
  const { marked, sanitizeHtml } = await (loaded ??= renderers());
  const unsafe = marked.parse(md, { async: false, gfm: true }) as string;
  return sanitizeHtml(unsafe, {
    allowedTags: [...sanitizeHtml.defaults.allowedTags, 'h1', 'h2', 'img'],
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedAttributes: { a: ['href', 'title'], img: ['src', 'alt', 'title'], code: ['class'], th: ['align'], td: ['align'] },
  });
}

/** A runbook page, or undefined when no such runbook is shipped; `name` may end in .md, as rule files link it. */
export async function runbookPage(name: string, tokenRequired: boolean, dir = RUNBOOKS_DIR) {
  const bare = name.replace(/\.md$/, '');
  if (!NAME.test(bare)) return undefined;
  const md = await readFile(join(dir, `${bare}.md`), 'utf8').catch(() => undefined);
  if (md === undefined) return undefined;
  const title = /^#\s+(.+)$/m.exec(md)?.[1] ?? bare;
  return layout({ page: 'runbooks', title, tokenRequired }, html`<article class="runbook">${raw(await renderMarkdown(md))}</article>
<p><a href="/runbooks">All runbooks</a></p>`);
}

export async function runbooksIndexPage(tokenRequired: boolean, dir = RUNBOOKS_DIR) {
  const names = await runbookNames(dir);
  return layout(
    { page: 'runbooks', title: 'Runbooks', tokenRequired },
    html`<h1>Runbooks</h1><ul>${names.map((n) => html`<li><a href="/runbooks/${n}">${n}</a></li>`)}</ul>`,
  );
}
