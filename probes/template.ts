/**
 * Templated request values: `{{name arg ...}}` tags in URLs, header values
 * and bodies, compiled once per run into a list of static text and generator
 * calls, so rendering a request is a few string concatenations.
 *
 * | tag | renders |
 * |---|---|
 * | `{{randInt 1 50}}` | a uniform integer in [1, 50] |
 * | `{{randFloat 0 100 2}}` | a number with 2 decimals (default 2) in [0, 100), each of 0.00 … 99.99 equally likely; a range holding none is an error |
 * | `{{uuid}}` | a random UUID v4 |
 * | `{{pick a b "c d"}}` | one of the arguments, uniformly |
 * | `{{userId 1 1000000}}` | `u-N`, N uniform in the range, MIN at least 0 (the demo target's user ids) |
 * | `{{eventBatch 50}}` | a JSON array of 50 events for `POST /v1/events`, N from 1 to 10,000; the demo target takes at most 1,000 per batch (`maxBatchEvents`; more is answered 413, while 1,000, about 80 KB, is well within its 1 MiB body limit) |
 * | `{{now}}` / `{{nowIso}}` | epoch milliseconds / ISO-8601 time |
 * | `{{seq}}` | the iteration's number, unique across threads and segments |
 * | `{{vu}}` / `{{iter}}` | the VU's number (1-based, unique across threads and segments) / the VU's iteration count |
 *
 * @example
 * const t = compileTemplate('/v1/assignments/get_variant?experiment=exp-{{randInt 1 50}}&user={{userId 1 1000000}}');
 * t.render({ vu: 1, iter: 0, seq: 0 }) // '/v1/assignments/get_variant?experiment=exp-17&user=u-482113'
 */
import { randomUUID } from 'node:crypto';
import { suggest } from '../common/suggest.ts';

/** Per-iteration values a template can refer to. One object per VU, reused. */
export interface TemplateContext {
  vu: number;
  iter: number;
  seq: number;
}

/** A compiled template: `isStatic` templates render their `text` every time. */
export interface CompiledTemplate {
  readonly isStatic: boolean;
  /** The text of a static template (no tags). */
  readonly text: string;
  render(ctx: TemplateContext): string;
}

interface Generator {
  render(ctx: TemplateContext): string;
  /** Its output is a JSON value as is (a number or an array), so a JSON body can embed it unquoted. */
  readonly json: boolean;
  /** The template's own text it can output (`pick`'s items, decoded); the other generators output printable ASCII only. */
  readonly items?: readonly string[];
}

type Factory = (args: string[]) => Generator;

class TemplateError extends Error {}

function intArg(name: string, args: string[], i: number, label: string): number {
  const raw = args[i];
  if (raw === undefined) throw new TemplateError(`{{${name}}} needs ${label}`);
  if (!/^-?\d+$/.test(raw)) throw new TemplateError(`{{${name}}}: ${label} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new TemplateError(`{{${name}}}: ${label} ${raw} is too large`);
  return n;
}

function numArg(name: string, args: string[], i: number, label: string): number {
  const raw = args[i];
  if (raw === undefined) throw new TemplateError(`{{${name}}} needs ${label}`);
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new TemplateError(`{{${name}}}: ${label} must be a number, got "${raw}"`);
  return n;
}

function arity(name: string, args: string[], min: number, max: number, usage: string): void {
  if (args.length < min || args.length > max) {
    throw new TemplateError(`{{${name}}} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'} (${usage}), got ${args.length}`);
  }
}

function range(name: string, args: string[], usage: string): [number, number] {
  arity(name, args, 2, 2, usage);
  const min = intArg(name, args, 0, 'MIN');
  const max = intArg(name, args, 1, 'MAX');
  if (min > max) throw new TemplateError(`{{${name} ${min} ${max}}}: MIN must not be greater than MAX`);
  return [min, max];
}

/** The largest |k| of a randFloat grid value k / 10^DECIMALS: within it, `(k / 10 ** d).toFixed(d)` prints exactly k's digits. */
const MAX_GRID = 2n ** 52n;

/**
 * ⌈x · 10^decimals⌉, exactly, for the decimal number x reads as (its
 * shortest round-trip form: 1.1, not 1.100000000000000088…), so that
 * `randFloat 1.1 2 2` starts at 1.10 rather than 1.11.
 *
 * @example
 * scaledCeil(1.1, 2) // 110n (1.1 * 100 is 110.00000000000001)
 */
function scaledCeil(x: number, decimals: number): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x))!;
  const fraction = m[3] ?? '';
  const digits = BigInt(m[2]! + fraction);
  const exponent = Number(m[4] ?? 0) - fraction.length + decimals;
  const negative = m[1] === '-';
  if (exponent >= 0) {
    const v = digits * 10n ** BigInt(exponent);
    return negative ? -v : v;
  }
  const divisor = 10n ** BigInt(-exponent);
  const q = digits / divisor;
  // Rounding up: a remainder adds one to a positive value and is cut off from a negative one.
  return negative ? -q : q + (digits % divisor === 0n ? 0n : 1n);
}

const MAX_BATCH = 10_000;
const EVENT_EXPERIMENTS = 50;
const EVENT_USERS = 1_000_000;

/**
 * One event as the demo target's `POST /v1/events` takes it
 * (`{type, user, experiment, variant?, value?, ts}`): mostly exposures,
 * about one in five a conversion carrying a purchase value. `variant` is
 * left out on purpose: the target derives it from the user's assignment,
 * as a client SDK would report it, while a guessed variant name would be
 * dropped as unknown by experiments that do not have it.
 */
function eventJson(ts: number): string {
  const user = 1 + Math.floor(Math.random() * EVENT_USERS);
  const experiment = 1 + Math.floor(Math.random() * EVENT_EXPERIMENTS);
  if (Math.random() < 0.2) {
    const value = Math.round((5 + Math.random() * 195) * 100) / 100;
    return `{"type":"conversion","user":"u-${user}","experiment":"exp-${experiment}","value":${value},"ts":${ts}}`;
  }
  return `{"type":"exposure","user":"u-${user}","experiment":"exp-${experiment}","ts":${ts}}`;
}

const GENERATORS: Record<string, Factory> = {
  randInt(args) {
    const [min, max] = range('randInt', args, 'randInt MIN MAX');
    const span = max - min + 1;
    return { json: true, render: () => String(min + Math.floor(Math.random() * span)) };
  },
  randFloat(args) {
    arity('randFloat', args, 2, 3, 'randFloat MIN MAX [DECIMALS]');
    const min = numArg('randFloat', args, 0, 'MIN');
    const max = numArg('randFloat', args, 1, 'MAX');
    const decimals = args.length > 2 ? intArg('randFloat', args, 2, 'DECIMALS') : 2;
    if (min > max) throw new TemplateError(`{{randFloat ${min} ${max}}}: MIN must not be greater than MAX`);
    if (decimals < 0 || decimals > 10) throw new TemplateError(`{{randFloat}}: DECIMALS must be between 0 and 10, got ${decimals}`);
    // The values with DECIMALS decimals in [MIN, MAX) are k / 10^DECIMALS for whole k in [lo, hi]; toFixed of a
    // uniform real would round to the nearest, giving the first value half its weight and reaching MAX.
    const tag = `{{randFloat ${min} ${max} ${decimals}}}`;
    const lo = scaledCeil(min, decimals);
    const hi = scaledCeil(max, decimals) - 1n;
    if (lo < -MAX_GRID || hi > MAX_GRID) {
      throw new TemplateError(`${tag}: MIN and MAX are too large for ${decimals} decimals; MIN and MAX × 10^DECIMALS must lie within ±${MAX_GRID}`);
    }
    if (hi < lo) {
      throw new TemplateError(
        `${tag}: no value with ${decimals} decimal${decimals === 1 ? '' : 's'} lies in [${min}, ${max}); widen the range or give more DECIMALS`,
      );
    }
    const first = Number(lo);
    const span = Number(hi - lo) + 1;
    const scale = 10 ** decimals;
    // k is a whole number (never -0) and |k| ≤ 2^52, so k / scale is close enough to k·10^-DECIMALS that toFixed prints k's digits.
    return { json: true, render: () => ((first + Math.floor(Math.random() * span)) / scale).toFixed(decimals) };
  },
  uuid(args) {
    arity('uuid', args, 0, 0, 'uuid');
    return { json: false, render: () => randomUUID() };
  },
  pick(args) {
    if (args.length === 0) throw new TemplateError('{{pick}} needs at least one value to pick from, e.g. {{pick a b c}}');
    const values = [...args];
    const n = values.length;
    return { json: false, items: values, render: () => values[Math.floor(Math.random() * n)]! };
  },
  userId(args) {
    const [min, max] = range('userId', args, 'userId MIN MAX');
    if (min < 0) throw new TemplateError(`{{userId ${min} ${max}}}: MIN must be 0 or more (the ids are u-MIN … u-MAX), got ${min}`);
    const span = max - min + 1;
    return { json: false, render: () => `u-${min + Math.floor(Math.random() * span)}` };
  },
  eventBatch(args) {
    arity('eventBatch', args, 1, 1, 'eventBatch N');
    const n = intArg('eventBatch', args, 0, 'N');
    if (n < 1 || n > MAX_BATCH) throw new TemplateError(`{{eventBatch}}: N must be between 1 and ${MAX_BATCH}, got ${n}`);
    return {
      json: true,
      render: () => {
        const ts = Date.now();
        let out = '[';
        for (let i = 0; i < n; i++) out += (i === 0 ? '' : ',') + eventJson(ts);
        return `${out}]`;
      },
    };
  },
  now(args) {
    arity('now', args, 0, 0, 'now');
    return { json: true, render: () => String(Date.now()) };
  },
  nowIso(args) {
    arity('nowIso', args, 0, 0, 'nowIso');
    return { json: false, render: () => new Date().toISOString() };
  },
  seq(args) {
    arity('seq', args, 0, 0, 'seq');
    return { json: true, render: (ctx) => String(ctx.seq) };
  },
  vu(args) {
    arity('vu', args, 0, 0, 'vu');
    return { json: true, render: (ctx) => String(ctx.vu) };
  },
  iter(args) {
    arity('iter', args, 0, 0, 'iter');
    return { json: true, render: (ctx) => String(ctx.iter) };
  },
};

/** The generator names, for messages and docs. */
export const TEMPLATE_GENERATORS = Object.keys(GENERATORS);


/** The escapes of a double-quoted item: JSON's, plus `\'` (and `\u{X…}`, read in `unescape`). */
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', "'": "'", b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * A double-quoted item's text with its escapes decoded (once, at compile
 * time); `tag` is the whole tag, for messages.
 *
 * @example
 * unescape('a\\n\\u00e9', tag) // 'a\né'
 */
function unescape(raw: string, tag: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    // The tokenizer only ends a quoted item on an unescaped quote, so a backslash is always followed by something.
    const e = raw[++i]!;
    const simple = ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    if (e !== 'u') {
      const shown = /[\x21-\x7e]/.test(e) ? `"\\${e}"` : `"\\" before the character ${codePoint(e)}`;
      throw new TemplateError(
        `unknown escape ${shown} in tag "${tag}"; inside "…" a backslash starts \\" \\\\ \\n \\r \\t \\b \\f \\/ \\' \\uXXXX or \\u{X…}: write \\\\ for a backslash`,
      );
    }
    const m = /^u(?:\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{4}))/.exec(raw.slice(i));
    const code = m ? Number.parseInt(m[1] ?? m[2]!, 16) : Number.NaN;
    if (!m || code > 0x10ffff) {
      const shown = /^\\u(?:\{[^}"]*\}?|[0-9A-Fa-f]{0,4})/.exec(raw.slice(i - 1))![0];
      throw new TemplateError(`bad unicode escape "${shown}" in tag "${tag}"; expected \\uXXXX (4 hex digits) or \\u{X…} (1 to 6, at most 10FFFF), e.g. \\u00e9 or \\u{1F600}`);
    }
    out += String.fromCodePoint(code);
    i += m[0].length - 1;
  }
  // \ud83d\ude00 is one character; half of it is none, and UTF-8 cannot encode it (a body would carry U+FFFD instead).
  const lone = /\p{Cs}/u.exec(out);
  if (lone) {
    throw new TemplateError(
      `"\\u${lone[0].charCodeAt(0).toString(16)}" in tag "${tag}" is half of a surrogate pair; write the character itself, both halves (\\ud83d\\ude00) or \\u{…} (\\u{1F600})`,
    );
  }
  return out;
}

/** `U+000A` for a character. */
const codePoint = (ch: string): string => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * A tag's words: bare words, "double-quoted" (backslash escapes, see
 * `unescape`) or 'single-quoted' (none). `tag` is the whole tag, for messages.
 */
function tokenize(inner: string, tag: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\[\s\S])*)"|'([^']*)'|([^\s"']\S*))/y;
  let pos = 0;
  while (pos < inner.length) {
    re.lastIndex = pos;
    const m = re.exec(inner);
    if (!m || m[0].trim() === '') {
      const rest = inner.slice(pos).trim();
      if (rest === '') break;
      throw new TemplateError(
        rest.startsWith('"')
          ? `unterminated quote in tag "${tag}"; close it, or escape a literal " as \\"`
          : `unterminated quote in tag "${tag}"; close it, or quote an item holding ' with "…" (e.g. "it's")`,
      );
    }
    const quoted = m[1] ?? m[2];
    tokens.push(m[1] !== undefined ? unescape(m[1], tag) : (m[2] ?? m[3] ?? ''));
    pos = re.lastIndex;
    if (quoted !== undefined && pos < inner.length && !/\s/.test(inner[pos]!)) {
      throw new TemplateError(`in tag "${tag}": a quoted item must be followed by a space or the end of the tag; quote each item whole, e.g. {{pick "it's" other}}`);
    }
  }
  return tokens;
}

/**
 * Where the `}}` closing the tag opened before `from` is, skipping quoted
 * text (-1 when there is none), and the first `{{` outside quotes before it
 * (a tag inside the tag; -1 when there is none).
 */
function tagEnd(text: string, from: number): { end: number; nested: number } {
  let quote: string | undefined;
  let nested = -1;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      // A quote opens a quoted item only at the start of a word.
      if (i === from || /\s/.test(text[i - 1]!)) quote = c;
    } else if (c === '}' && text[i + 1] === '}') {
      return { end: i, nested };
    } else if (c === '{' && text[i + 1] === '{' && nested < 0) {
      nested = i;
    }
  }
  return { end: -1, nested };
}

/**
 * The end (index of its `}}`) of a tag that holds other tags, counting
 * them: `{{pick {{uuid}} }}` is one tag. The first `}}` when the nesting
 * is never closed.
 */
function nestedTagEnd(text: string, from: number, firstEnd: number): number {
  let depth = 1;
  let pos = from;
  for (;;) {
    const { end, nested } = tagEnd(text, pos);
    if (end < 0) return firstEnd;
    if (nested >= 0) {
      depth++;
      pos = nested + 2;
      continue;
    }
    if (--depth === 0) return end;
    pos = end + 2;
  }
}

type Part = string | Generator;

/**
 * Splits a template into text and generators. Throws a `TemplateError` at
 * the first bad tag, or, given `problems`, collects every bad tag's message
 * there and goes on (validation reports them all at once).
 */
function parse(text: string, problems?: string[]): Part[] {
  const fail = (err: TemplateError): void => {
    if (!problems) throw err;
    problems.push(err.message);
  };
  const parts: Part[] = [];
  let pos = 0;
  while (pos < text.length) {
    const open = text.indexOf('{{', pos);
    if (open < 0) {
      parts.push(text.slice(pos));
      break;
    }
    if (open > pos) parts.push(text.slice(pos, open));
    const found = tagEnd(text, open + 2);
    let close = found.end;
    // An unterminated quote: the tag's end as written, so that the message can say so.
    if (close < 0) close = text.indexOf('}}', open + 2);
    if (close < 0) {
      fail(new TemplateError(`unterminated tag "${text.slice(open, open + 20)}": expected "}}"`));
      break;
    }
    if (found.nested >= 0 && found.nested < close) {
      // {{pick {{uuid}} }} would pick the text "{{uuid" and send " }}" after it.
      pos = nestedTagEnd(text, open + 2, close) + 2;
      fail(new TemplateError(`tag "${text.slice(open, pos)}" holds another tag; tags do not nest: write them side by side, and quote a literal "{{" ({{pick "{{"}})`));
      continue;
    }
    pos = close + 2;
    const inner = text.slice(open + 2, close);
    let words: string[];
    try {
      words = tokenize(inner, text.slice(open, pos));
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      fail(err);
      continue;
    }
    const [name, ...args] = words;
    if (name === undefined) {
      fail(new TemplateError('empty tag "{{}}"; expected a generator such as {{randInt 1 100}}'));
      continue;
    }
    const factory = Object.hasOwn(GENERATORS, name) ? GENERATORS[name] : undefined;
    if (!factory) {
      const hint = suggest(name, TEMPLATE_GENERATORS);
      fail(new TemplateError(`unknown generator "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${TEMPLATE_GENERATORS.join(', ')}`));
      continue;
    }
    try {
      parts.push(factory(args));
    } catch (err) {
      if (err instanceof TemplateError) fail(err);
      else throw err;
    }
  }
  return parts;
}

function fromParts(parts: Part[]): CompiledTemplate {
  if (parts.every((p) => typeof p === 'string')) {
    const text = parts.join('');
    return { isStatic: true, text, render: () => text };
  }
  if (parts.length === 1) {
    const g = parts[0] as Generator;
    return { isStatic: false, text: '', render: (ctx) => g.render(ctx) };
  }
  const frozen = parts.slice();
  const n = frozen.length;
  return {
    isStatic: false,
    text: '',
    render: (ctx) => {
      let out = '';
      for (let i = 0; i < n; i++) {
        const p = frozen[i]!;
        out += typeof p === 'string' ? p : p.render(ctx);
      }
      return out;
    },
  };
}

/**
 * Compiles a template string; throws a `RangeError` with a sentence when a tag is invalid.
 *
 * @example
 * compileTemplate('user={{userId 1 10}}').render({ vu: 1, iter: 0, seq: 0 }) // 'user=u-7'
 */
export function compileTemplate(text: string): CompiledTemplate {
  try {
    return fromParts(parse(text));
  } catch (err) {
    if (err instanceof TemplateError) throw new RangeError(err.message, { cause: err });
    throw err;
  }
}

/** Why a template string is invalid (every bad tag, joined with "; "), or `undefined` when it compiles. */
export function templateProblem(text: string): string | undefined {
  const problems: string[] = [];
  parse(text, problems);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/**
 * Every character a valid template can output that it does not make up
 * itself: its literal text and `pick`'s items, without the tags' own
 * syntax. The generators add only printable ASCII, so validation can check
 * what a URL or header may carry on this.
 *
 * @example
 * templateLiterals('/x?q={{pick "a b" c}}&n={{randInt 1 9}}') // '/x?q=a bc&n='
 */
export function templateLiterals(text: string): string {
  return parse(text)
    .map((p) => (typeof p === 'string' ? p : (p.items?.join('') ?? '')))
    .join('');
}

/** A run of a template's own text: literal text between tags, or one `pick` item. */
export interface TemplatePiece {
  readonly text: string;
  /** A `pick` item (decoded), not literal text. */
  readonly item: boolean;
  /** Literal text directly followed by a tag. */
  readonly beforeTag: boolean;
}

/**
 * The template's own text piece by piece, in order: each run of literal
 * text and each `pick` item on its own, for checks that must not read
 * across a tag (a `%` escape's two hex digits). Throws on an invalid
 * template, like `templateLiterals`.
 *
 * @example
 * templatePieces('/x?q={{pick a %41}}&n={{randInt 1 9}}').map((p) => p.text) // ['/x?q=', 'a', '%41', '&n=']
 */
export function templatePieces(text: string): TemplatePiece[] {
  const parts = parse(text);
  const pieces: TemplatePiece[] = [];
  parts.forEach((p, i) => {
    if (typeof p === 'string') pieces.push({ text: p, item: false, beforeTag: i + 1 < parts.length });
    else for (const item of p.items ?? []) pieces.push({ text: item, item: true, beforeTag: false });
  });
  return pieces;
}

/**
 * Compiles a JSON request body: string leaves are templates. A leaf that is
 * exactly one tag whose output is a JSON value (`{{randInt 1 9}}`,
 * `{{eventBatch 50}}`, `{{now}}`) is embedded unquoted, so
 * `"{{eventBatch 50}}"` sends an array and `"{{randInt 1 9}}"` a number.
 *
 * @example
 * compileJsonBody({ n: '{{randInt 1 3}}', u: 'u-{{randInt 1 3}}' }).render(ctx) // '{"n":2,"u":"u-3"}'
 */
export function compileJsonBody(value: unknown): CompiledTemplate {
  const parts: Part[] = [];
  const pushText = (s: string): void => {
    const last = parts[parts.length - 1];
    if (typeof last === 'string') parts[parts.length - 1] = last + s;
    else parts.push(s);
  };
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      let inner: Part[];
      try {
        inner = parse(v);
      } catch (err) {
        if (err instanceof TemplateError) throw new RangeError(err.message, { cause: err });
        throw err;
      }
      if (inner.every((p) => typeof p === 'string')) {
        pushText(JSON.stringify(v));
      } else if (inner.length === 1 && typeof inner[0] !== 'string' && inner[0]!.json) {
        parts.push(inner[0]!);
      } else {
        const t = fromParts(inner);
        parts.push({ json: true, render: (ctx) => JSON.stringify(t.render(ctx)) });
      }
    } else if (Array.isArray(v)) {
      pushText('[');
      v.forEach((item, i) => {
        if (i > 0) pushText(',');
        walk(item);
      });
      pushText(']');
    } else if (v !== null && typeof v === 'object') {
      pushText('{');
      Object.entries(v).forEach(([k, item], i) => {
        if (i > 0) pushText(',');
        pushText(`${JSON.stringify(k)}:`);
        walk(item);
      });
      pushText('}');
    } else {
      pushText(JSON.stringify(v) ?? 'null');
    }
  };
  walk(value);
  return fromParts(parts);
}

/** Every template problem in a JSON body, with the key path of the leaf. */
export function jsonBodyProblems(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; message: string }[] {
  if (typeof value === 'string') {
    const problem = templateProblem(value);
    return problem ? [{ path, message: problem }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => jsonBodyProblems(v, [...path, i]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => jsonBodyProblems(v, [...path, k]));
  return [];
}
