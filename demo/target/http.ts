/**
 * Small HTTP helpers on plain `node:http`: a typed error that becomes a JSON
 * error response, query-string parsing, and size-limited body reading.
 */
import type { IncomingMessage } from 'node:http';

/**
 * An error with an HTTP status and a stable code; the central error handler
 * answers `{ error: code, message }` with `status`.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Query parameters; the first occurrence of a name wins. */
export type Query = Record<string, string>;

function decode(text: string): string {
  const plain = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!plain.includes('%')) return plain;
  try {
    return decodeURIComponent(plain);
  } catch {
    throw new HttpError(400, 'invalid_query', `the query string has a malformed percent-encoding: "${text.slice(0, 80)}"`);
  }
}

/**
 * Parses `a=1&b=x%20y` into a prototype-less record (so `__proto__` is just
 * a name). Throws a 400 `HttpError` on malformed percent-encoding.
 *
 * @example
 * parseQuery('experiment=exp-1&user=u-7') // { experiment: 'exp-1', user: 'u-7' }
 */
export function parseQuery(qs: string): Query {
  const out = Object.create(null) as Query;
  let start = 0;
  const n = qs.length;
  while (start < n) {
    let end = qs.indexOf('&', start);
    if (end === -1) end = n;
    if (end > start) {
      const eq = qs.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const name = decode(qs.slice(start, hasValue ? eq : end));
      if (!(name in out)) out[name] = hasValue ? decode(qs.slice(eq + 1, end)) : '';
    }
    start = end + 1;
  }
  return out;
}

/**
 * Reads a request body as UTF-8 text, refusing more than `limit` bytes with a
 * 413 `HttpError` — up front when `Content-Length` says so, otherwise as soon
 * as the stream passes the limit.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(tooLarge(Number(declared), limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const onData = (chunk: Buffer): void => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(size, limit, true));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (failed) return;
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8'));
    });
    req.once('error', (err) => {
      if (failed) return;
      failed = true;
      reject(new HttpError(400, 'body_read_failed', `could not read the request body: ${err.message}`));
    });
  });
}

function tooLarge(size: number, limit: number, atLeast = false): HttpError {
  return new HttpError(
    413,
    'body_too_large',
    `the request body is ${atLeast ? 'more than ' : ''}${atLeast ? limit : size} bytes; the limit is ${limit} bytes`,
    // The rest of an oversized body is not worth reading: close the connection after answering.
    { connection: 'close' },
  );
}

/** Parses JSON text, turning a syntax error into a 400 `HttpError`. */
export function parseJson(text: string): unknown {
  if (text.length === 0) throw new HttpError(400, 'invalid_json', 'the request body is empty; expected JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'invalid_json', `the request body is not valid JSON: ${(err as Error).message}`);
  }
}
