import { html, type Html } from './html.js';

export type PageName = 'alerts' | 'silences' | 'rules' | 'routing' | 'history' | 'review' | 'runbooks';

const NAV: [PageName, string, string][] = [
  ['alerts', 'Alerts', '/'],
  ['silences', 'Silences', '/silences'],
  ['rules', 'Rules', '/rules'],
  ['routing', 'Routing', '/routing'],
  ['review', 'Review', '/review'],
  ['runbooks', 'Runbooks', '/runbooks'],
];

export interface LayoutOptions {
  page: PageName;
  title: string;
  /** Writes need server.bearer_token: show the token form. */
  tokenRequired: boolean;
}

/** The page shell: navigation, the token form, one stylesheet and one script, all served by vigil (works offline). */
export function layout(opts: LayoutOptions, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · vigil</title>
<link rel="stylesheet" href="/ui/style.css">
<script type="module" src="/ui/app.js"></script>
</head><body data-token-required="${opts.tokenRequired ? '1' : '0'}">
<header><span class="brand">vigil</span>
<nav aria-label="Pages">${NAV.map(([name, label, href]) => html`<a href="${href}"${opts.page === name ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>
<form class="token" id="identity" autocomplete="off">
<label>Name <input type="text" name="by" size="10" placeholder="your name" aria-label="Your name (shown on acks, feedback and silences)"></label>
${opts.tokenRequired ? html`<label>Token <input type="password" name="token" size="12" placeholder="bearer token" aria-label="Bearer token for writes (kept for this browser session)"></label>` : ''}
<button type="submit">Save</button><span id="identity-status" class="muted" role="status"></span>
</form>
</header>
<main>
<div id="flash" role="status" aria-live="polite"></div>
${body}
</main>
</body></html>
`;
}
