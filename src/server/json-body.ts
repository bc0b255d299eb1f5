// JSON request bodies that never hold the event loop: body-parser reads and decodes the text (size
// limit, charset, gzip), and a large document is parsed a slice at a time, yielding in between.
//
// Hand-written rather than a streaming JSON library: the pure-JS ones (@streamparser/json,
// stream-json) tokenize and build every value in JavaScript. Here V8's native JSON.parse still does
// all the parsing and validation; this file only finds where the elements of the one big array
// (the body itself, or a webhook's `alerts`) begin and end, and parses them a slice at a time.

import express, { type RequestHandler } from 'express';

/** Documents up to this many characters are parsed in one JSON.parse (well under a millisecond per 64 KiB). */
const SMALL_TEXT = 256 * 1024;
/** Characters of array elements parsed per turn of the event loop. */
const SLICE_CHARS = 256 * 1024;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A SyntaxError whose message says where in the whole text, like JSON.parse's own. */
function syntaxError(message: string, position: number): SyntaxError {
  return new SyntaxError(`${message} at position ${position}`);
}

/** JSON.parse of `text.slice(from, to)` wrapped in `open`/`close`; a failure names its position in the whole text. */
function parsePiece(text: string, from: number, to: number, open = '', close = ''): unknown {
  const piece = open + text.slice(from, to) + close;
  try {
    return JSON.parse(piece);
  } catch (err) {
    const shift = from - open.length;
    const message = (err as Error).message.replace(/ \(line \d+ column \d+\)/, '').replace(/at position (\d+)/, (_m, p: string) => `at position ${Number(p) + shift}`);
    throw new SyntaxError(message);
  }
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** The index after the string literal that starts at `i` (a quote); -1 when it never ends. */
function skipString(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/**
 * Where the value starting at `i` ends: at the `,`, `]` or `}` that follows it at its own depth.
 * Nothing is validated here; JSON.parse of the pieces rejects whatever is malformed.
 */
function skipValue(text: string, i: number): number {
  let depth = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = skipString(text, i);
      if (i < 0) return text.length;
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return i;
      depth--;
    } else if (c === 0x2c && depth === 0) return i;
    i++;
  }
  return i;
}

/**
 * Parses the array whose `[` is at `start`, SLICE_CHARS of elements per JSON.parse with a yield
 * after each. Returns the elements and the index after the closing `]`.
 */
async function parseArray(text: string, start: number): Promise<{ value: unknown[]; end: number }> {
  const out: unknown[] = [];
  let i = skipSpace(text, start + 1);
  if (text.charCodeAt(i) === 0x5d) return { value: out, end: i + 1 };
  let sliceStart = i;
  for (;;) {
    if (i >= text.length) throw new SyntaxError('Unexpected end of JSON input');
    const c = text.charCodeAt(i);
    // an element must start here: `[1,,2]` and `[1,]` are not JSON, and must not become two valid slices
    if (c === 0x2c || c === 0x5d || c === 0x7d) throw syntaxError(`Unexpected token '${text[i]}' in JSON`, i);
    const end = skipValue(text, i);
    if (end >= text.length) throw new SyntaxError('Unexpected end of JSON input');
    const next = text.charCodeAt(end);
    if (next === 0x7d) throw syntaxError("Unexpected token '}' in JSON", end);
    if (next === 0x5d || end - sliceStart >= SLICE_CHARS) {
      for (const v of parsePiece(text, sliceStart, end, '[', ']') as unknown[]) out.push(v);
      if (next === 0x5d) return { value: out, end: end + 1 };
      await yieldToEventLoop();
      sliceStart = skipSpace(text, end + 1);
      i = sliceStart;
    } else i = skipSpace(text, end + 1);
  }
}

/**
 * Parses JSON text as JSON.parse does, but a large document yields to the event loop while it is
 * parsed: a top-level array a slice of elements at a time, and in a top-level object the array
 * member `arrayKey` (a webhook's `alerts`) the same way. Errors are JSON.parse's SyntaxErrors.
 */
export async function parseJsonYielding(text: string, arrayKey = 'alerts'): Promise<unknown> {
  if (text.length <= SMALL_TEXT) return JSON.parse(text);
  let i = skipSpace(text, 0);
  let value: unknown;
  const first = text.charCodeAt(i);
  if (first === 0x5b) {
    const parsed = await parseArray(text, i);
    value = parsed.value;
    i = parsed.end;
  } else if (first === 0x7b) {
    // the object without its big array, parsed in one piece; the array in slices
    const member = findArrayMember(text, i, arrayKey);
    if (!member) return JSON.parse(text);
    const parsed = await parseArray(text, member.start);
    const rest = JSON.parse(text.slice(0, member.start) + 'null' + text.slice(parsed.end)) as Record<string, unknown>;
    if (rest[arrayKey] === null) rest[arrayKey] = parsed.value; // else a later duplicate key won, as in JSON.parse
    return rest;
  } else return JSON.parse(text);
  i = skipSpace(text, i);
  if (i < text.length) throw syntaxError('Unexpected non-whitespace character after JSON', i);
  return value;
}

/** Where the value of the top-level member `key` starts, when it is an array. */
function findArrayMember(text: string, open: number, key: string): { start: number } | undefined {
  let i = skipSpace(text, open + 1);
  while (i < text.length && text.charCodeAt(i) === 0x22) {
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return undefined;
    let name: unknown;
    try {
      name = JSON.parse(text.slice(i, keyEnd));
    } catch {
      return undefined;
    }
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a) return undefined;
    i = skipSpace(text, i + 1);
    if (name === key && text.charCodeAt(i) === 0x5b) return { start: i };
    i = skipValue(text, i);
    if (text.charCodeAt(i) !== 0x2c) return undefined;
    i = skipSpace(text, i + 1);
  }
  return undefined;
}

/** body-parser's error shape, so that one error handler answers every body failure. */
function parseFailed(err: Error): Error & { type: string; status: number } {
  return Object.assign(err, { type: 'entity.parse.failed', status: 400 });
}

/**
 * JSON bodies of at most `limit` bytes as `req.body`, parsed with parseJsonYielding: body-parser
 * reads the text (413 past the limit, inflating gzip), an empty body is `{}` as express.json has
 * it, and bad JSON is a 400 through the same error handler.
 */
export function yieldingJsonBody(limit: number): RequestHandler[] {
  const text = express.text({ limit, type: () => true, defaultCharset: 'utf-8' });
  const parse: RequestHandler = (req, _res, next) => {
    const body: unknown = req.body;
    if (typeof body !== 'string') return next();
    if (body.length === 0) {
      req.body = {};
      return next();
    }
    parseJsonYielding(body).then(
      (value) => {
        req.body = value;
        next();
      },
      (err: Error) => next(parseFailed(err)),
    );
  };
  return [text, parse];
}
