/**
 * Response expectations (`expect:` of a request), compiled once per run.
 * A status outside `expect.status` is an `http_error`; a header or JSON
 * expectation that does not hold is an `assertion_failed` (the response
 * arrived with an accepted status but its content is wrong).
 */
import * as buffer from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import * as zlib from 'node:zlib';

export type JsonPathSegment = string | number;

/** What the spec's `expect` holds after parsing (see `spec.ts`). */
export interface ExpectSpec {
  status?: number[] | undefined;
  headers: Record<string, string | { matches: string } | { present: boolean }>;
  json: Record<string, unknown>;
}

interface HeaderCheck {
  /** Lower-case header name. */
  name: string;
  check(value: string | undefined): string | undefined;
}

interface JsonCheck {
  path: string;
  segments: JsonPathSegment[];
  exists?: boolean;
  equals?: unknown;
}

export interface CompiledExpect {
  /** `acceptedStatus[code] === 1` when the status is expected (k6's `expected_response`). */
  readonly acceptedStatus: Uint8Array;
  readonly headers: readonly HeaderCheck[];
  readonly json: readonly JsonCheck[];
  /** The response body must be kept (up to maxResponseBytes) to check JSON paths. */
  readonly needsBody: boolean;
}

/**
 * Parses `$.a.b[0]`, `a.b[0]`, `$["odd key"].c` into path segments; throws a
 * `RangeError` with a sentence when the path is malformed.
 *
 * @example
 * parseJsonPath('$.variants[0].name') // ['variants', 0, 'name']
 */
export function parseJsonPath(path: string): JsonPathSegment[] {
  let rest = path.trim();
  if (rest.startsWith('$')) rest = rest.slice(1);
  else if (rest !== '' && !rest.startsWith('.') && !rest.startsWith('[')) rest = `.${rest}`;
  const segments: JsonPathSegment[] = [];
  const re = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\['([^']*)'\]/y;
  let pos = 0;
  while (pos < rest.length) {
    re.lastIndex = pos;
    const m = re.exec(rest);
    if (!m) {
      throw new RangeError(
        `"${path}" is not a JSON path: cannot read "${rest.slice(pos, pos + 12)}"; expected e.g. "$.variant", "$.items[0].id" or "$['odd key']"`,
      );
    }
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else segments.push(m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? ''));
    pos = re.lastIndex;
  }
  return segments;
}

/** The value at `segments` inside `doc`, and whether it exists. */
export function valueAtPath(doc: unknown, segments: readonly JsonPathSegment[]): { exists: boolean; value: unknown } {
  let cur: unknown = doc;
  for (const seg of segments) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur) || seg >= cur.length) return { exists: false, value: undefined };
      cur = cur[seg];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, seg)) return { exists: false, value: undefined };
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return { exists: true, value: cur };
}

/** `{ exists: … }` (the only key): a JSON expectation on presence, not a value to compare. */
function isExistsRule(expected: unknown): expected is { exists: unknown } {
  return expected !== null && typeof expected === 'object' && !Array.isArray(expected) && Object.keys(expected).length === 1 && 'exists' in expected;
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Why an `expect` block is invalid (bad regex or JSON path), each with its key path. */
export function expectProblems(spec: ExpectSpec): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  for (const [name, rule] of Object.entries(spec.headers)) {
    if (typeof rule === 'object' && 'matches' in rule) {
      try {
        new RegExp(rule.matches);
      } catch (err) {
        out.push({ path: ['headers', name, 'matches'], message: `"${rule.matches}" is not a valid regular expression: ${(err as Error).message}` });
      }
    }
  }
  for (const [path, expected] of Object.entries(spec.json)) {
    // `{exists: no}` is the string "no" in YAML 1.2, which would mean "exists" if taken as truthy.
    if (isExistsRule(expected) && typeof expected.exists !== 'boolean') {
      out.push({ path: ['json', path, 'exists'], message: `expected true or false, got ${JSON.stringify(expected.exists)}` });
    }
    try {
      parseJsonPath(path);
    } catch (err) {
      out.push({ path: ['json', path], message: (err as Error).message });
    }
  }
  return out;
}

/** Compiles an `expect` block. */
export function compileExpect(spec: ExpectSpec): CompiledExpect {
  const acceptedStatus = new Uint8Array(600);
  if (spec.status && spec.status.length > 0) {
    for (const code of spec.status) acceptedStatus[code] = 1;
  } else {
    for (let code = 200; code < 400; code++) acceptedStatus[code] = 1;
  }
  const headers: HeaderCheck[] = Object.entries(spec.headers).map(([rawName, rule]) => {
    const name = rawName.toLowerCase();
    if (typeof rule === 'string') {
      return {
        name,
        check: (v) => (v === rule ? undefined : `header ${name}: expected "${rule}", got ${v === undefined ? 'no such header' : `"${v}"`}`),
      };
    }
    if ('matches' in rule) {
      const re = new RegExp(rule.matches);
      return {
        name,
        check: (v) => (v !== undefined && re.test(v) ? undefined : `header ${name}: expected a value matching /${rule.matches}/, got ${v === undefined ? 'no such header' : `"${v}"`}`),
      };
    }
    const present = rule.present;
    return {
      name,
      check: (v) => ((v !== undefined) === present ? undefined : `header ${name}: expected it to be ${present ? 'present' : 'absent'}`),
    };
  });
  const json: JsonCheck[] = Object.entries(spec.json).map(([path, expected]) => {
    const segments = parseJsonPath(path);
    if (isExistsRule(expected)) return { path, segments, exists: expected.exists === true };
    return { path, segments, equals: expected };
  });
  return { acceptedStatus, headers, json, needsBody: json.length > 0 };
}

/**
 * Checks header expectations against undici's raw header list
 * (`[name, value, name, value, ...]` as Buffers); returns the first problem.
 */
export function checkHeaders(expect: CompiledExpect, raw: readonly Buffer[] | null): string | undefined {
  for (const h of expect.headers) {
    const problem = h.check(rawHeader(raw, h.name));
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * The value of header `lowerName` in a raw header list, without parsing the
 * others. A repeated field: `all` joins its values with ", " (what
 * `expect.headers` checks, as k6 and RFC 9110 §5.3 combine them); otherwise
 * the first line's value (what cache counting classifies: behind layered
 * caches, the one nearest the client).
 */
export function rawHeader(raw: readonly Buffer[] | null, lowerName: string, all = true): string | undefined {
  if (!raw) return undefined;
  const len = lowerName.length;
  let value: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === len && key.toString('latin1').toLowerCase() === lowerName) {
      const v = raw[i + 1]!.toString('latin1');
      if (!all) return v;
      value = value === undefined ? v : `${value}, ${v}`;
    }
  }
  return value;
}

type Decoder = (body: Buffer, options: zlib.ZlibOptions & zlib.BrotliOptions) => Buffer;

/** Node ≥ 22.15 decodes zstd; Node 20 does not. */
const zstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: Decoder }).zstdDecompressSync;

/** A zlib-wrapped deflate stream (RFC 1950 header: method 8, check bits), as opposed to a raw one (RFC 1951). */
const isZlibWrapped = (body: Buffer): boolean => body.length >= 2 && (body[0]! & 0x0f) === 8 && body[0]! >> 4 <= 7 && ((body[0]! << 8) | body[1]!) % 31 === 0;

/** Decoders by content-coding (RFC 9110 §8.4.1), as k6 decodes them (lib/netext/httpext/compression.go). */
const DECODERS: Readonly<Record<string, Decoder>> = {
  gzip: zlib.gunzipSync,
  'x-gzip': zlib.gunzipSync,
  deflate: (body, options) => (isZlibWrapped(body) ? zlib.inflateSync(body, options) : zlib.inflateRawSync(body, options)),
  br: zlib.brotliDecompressSync,
  ...(zstdDecompressSync ? { zstd: zstdDecompressSync } : {}),
};

/**
 * A body decoded by its `content-encoding` (the codings listed in the order
 * they were applied, so undone last first; `identity` is none), each step
 * bounded at `maxBytes`; or why it cannot be.
 *
 * @example
 * decodeBody(gzipSync('{}'), 'gzip', 1024) // { body: <Buffer 7b 7d> }
 */
export function decodeBody(body: Buffer, contentEncoding: string | undefined, maxBytes: number): { body: Buffer } | { problem: string } {
  if (contentEncoding === undefined || body.length === 0) return { body };
  const codings = contentEncoding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  let out = body;
  for (const coding of codings.reverse()) {
    const decode = Object.hasOwn(DECODERS, coding) ? DECODERS[coding] : undefined;
    if (!decode) return { problem: `cannot check JSON: content-encoding ${coding} is not supported` };
    try {
      out = decode(out, { maxOutputLength: maxBytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return { problem: `cannot check JSON: the ${coding} body decodes to more than maxResponseBytes (${maxBytes} bytes)` };
      }
      return { problem: `cannot check JSON: the ${coding} body is corrupt: ${(err as Error).message}` };
    }
  }
  return { body: out };
}

/**
 * Checks JSON expectations against a response body, decoded by the
 * response's `content-encoding` to at most `maxDecodedBytes`; returns the
 * first problem.
 */
export function checkJson(
  expect: CompiledExpect,
  body: Buffer,
  truncated: boolean,
  contentEncoding?: string,
  maxDecodedBytes: number = buffer.constants.MAX_LENGTH,
): string | undefined {
  const tooLarge = 'body is larger than maxResponseBytes, so its JSON could not be checked';
  const decoded = decodeBody(body, contentEncoding, maxDecodedBytes);
  if ('problem' in decoded) return truncated ? tooLarge : decoded.problem;
  let doc: unknown;
  try {
    doc = JSON.parse(decoded.body.toString('utf8'));
  } catch {
    return truncated ? tooLarge : 'body is not valid JSON';
  }
  for (const c of expect.json) {
    const { exists, value } = valueAtPath(doc, c.segments);
    if (c.exists !== undefined) {
      if (exists !== c.exists) return `json ${c.path}: expected it to ${c.exists ? 'exist' : 'be absent'}`;
    } else if (!exists) {
      return `json ${c.path}: expected ${short(c.equals)}, but there is no such value`;
    } else if (!isDeepStrictEqual(value, c.equals)) {
      return `json ${c.path}: expected ${short(c.equals)}, got ${short(value)}`;
    }
  }
  return undefined;
}
