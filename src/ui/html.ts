// A tagged template that escapes every interpolation: pages are built from strings, never from the DOM.

/** Markup that is already safe: made by `html` or `raw` only. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an element's content or a quoted attribute. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function render(p: Part): string {
  if (p instanceof Html) return p.text;
  if (Array.isArray(p)) return (p as readonly Part[]).map(render).join('');
  // null, undefined and false render nothing, so `${cond && html`…`}` reads naturally
  if (p === null || p === undefined || p === false) return '';
  return escapeHtml(String(p));
}

/** html`<p>${text}</p>`: strings and numbers are escaped; Html values and arrays of them are inserted as they are. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Trusted markup (our own CSS, the report module's rendered HTML). */
export function raw(text: string): Html {
  return new Html(text);
}

/** A link target from user data (annotations, ticket URLs): http(s) and same-site paths only, so a `javascript:` URL never becomes a link. */
export function safeUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  if (/^https?:\/\//i.test(url) || (url.startsWith('/') && !url.startsWith('//'))) return url;
  return undefined;
}
