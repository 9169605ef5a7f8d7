import * as zlib from 'node:zlib';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { checkHeaders, checkJson, compileExpect, rawHeader } from './expect.ts';
import { startRun } from './run.ts';
import { probe, testServer } from './test-support.ts';
import type { TestServer } from './test-support.ts';

/** undici's raw header list: name, value, name, value … as Buffers. */
const raw = (...pairs: [string, string][]): Buffer[] => pairs.flatMap(([k, v]) => [Buffer.from(k, 'latin1'), Buffer.from(v, 'latin1')]);

describe('response header expectations', () => {
  it('reads a header case-insensitively and combines repeated fields with ", " (as k6), or gives the first', () => {
    const headers = raw(['Set-Cookie', 'a=1'], ['X-Cache', 'HIT'], ['set-cookie', 'b=2']);
    expect(rawHeader(headers, 'x-cache')).toBe('HIT');
    expect(rawHeader(headers, 'set-cookie')).toBe('a=1, b=2');
    expect(rawHeader(headers, 'etag')).toBeUndefined();
    expect(rawHeader(null, 'etag')).toBeUndefined();
    expect(rawHeader(headers, 'set-cookie', false)).toBe('a=1');
  });

  it('matches, equals and presence see every occurrence of a repeated header', () => {
    const headers = raw(['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']);
    const check = (rule: Parameters<typeof compileExpect>[0]['headers']): string | undefined => checkHeaders(compileExpect({ headers: rule, json: {} }), headers);
    expect(check({ 'set-cookie': { matches: '(^|, )b=2' } })).toBeUndefined();
    expect(check({ 'Set-Cookie': 'a=1, b=2' })).toBeUndefined();
    expect(check({ 'set-cookie': { present: true } })).toBeUndefined();
    expect(check({ 'set-cookie': 'a=1' })).toBe('header set-cookie: expected "a=1", got "a=1, b=2"');
  });
});

describe('JSON expectations on a compressed body', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const up = compileExpect({ headers: {}, json: { '$.status': 'up' } });
  const json = Buffer.from(JSON.stringify({ status: 'up' }));
  const MiB = 1_048_576;

  it('decodes the body by its content-encoding (gzip, x-gzip, deflate zlib-wrapped or raw, br, a list in reverse, identity) before reading it', () => {
    const cases: [string | undefined, Buffer][] = [
      [undefined, json],
      ['identity', json],
      ['gzip', gzipSync(json)],
      ['GZip', gzipSync(json)],
      ['x-gzip', gzipSync(json)],
      ['deflate', deflateSync(json)],
      ['deflate', deflateRawSync(json)],
      ['br', brotliCompressSync(json)],
      // Applied in the order listed: gzip first, then br; decoded br first.
      ['gzip, br', brotliCompressSync(gzipSync(json))],
      ['identity, gzip,, identity', gzipSync(json)],
    ];
    for (const [encoding, body] of cases) expect(checkJson(up, body, false, encoding, MiB), String(encoding)).toBeUndefined();
    expect(checkJson(up, gzipSync(JSON.stringify({ status: 'down' })), false, 'gzip', MiB)).toBe('json $.status: expected "up", got "down"');
    expect(checkJson(up, gzipSync('<html>'), false, 'gzip', MiB)).toBe('body is not valid JSON');
  });

  it('a body that decodes to more than maxResponseBytes (a zip bomb) fails the check without being decoded in full', () => {
    const bomb = gzipSync(Buffer.alloc(16 * MiB, 0x20));
    expect(bomb.length).toBeLessThan(MiB);
    expect(checkJson(up, bomb, false, 'gzip', MiB)).toBe('cannot check JSON: the gzip body decodes to more than maxResponseBytes (1048576 bytes)');
    // Bounded at each step of a list, too:
    expect(checkJson(up, brotliCompressSync(bomb), false, 'gzip, br', MiB)).toBe('cannot check JSON: the gzip body decodes to more than maxResponseBytes (1048576 bytes)');
    expect(checkJson(up, gzipSync(json), false, 'gzip', json.length)).toBeUndefined();
    expect(checkJson(up, gzipSync(json), false, 'gzip', json.length - 1)).toMatch(/decodes to more than maxResponseBytes/);
  });

  it('an encoding it cannot decode, or a corrupt body, is a clear assertion message', () => {
    // Node 20 has no zstd decoder (Node >= 22.15 has, and then this 4-byte frame is corrupt):
    expect(checkJson(up, Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), false, 'zstd', MiB)).toBe(
      'zstdDecompressSync' in zlib ? expect.stringMatching(/^cannot check JSON: the zstd body is corrupt: /) : 'cannot check JSON: content-encoding zstd is not supported',
    );
    expect(checkJson(up, json, false, 'compress', MiB)).toBe('cannot check JSON: content-encoding compress is not supported');
    expect(checkJson(up, json, false, 'gzip', MiB)).toMatch(/^cannot check JSON: the gzip body is corrupt: \S/);
    expect(checkJson(up, gzipSync(json).subarray(0, 12), false, 'gzip', MiB)).toMatch(/^cannot check JSON: the gzip body is corrupt: \S/);
    expect(checkJson(up, json, false, 'br', MiB)).toMatch(/^cannot check JSON: the br body is corrupt: \S/);
  });

  it('a run checks the JSON of gzip and br answers it asked for, and data_received counts the compressed bytes', async () => {
    const payload = JSON.stringify({ status: 'up', pad: 'x'.repeat(5000) });
    let written = 0;
    server = await testServer((req, res) => {
      const encoding = String(req.headers['accept-encoding']);
      const body = encoding === 'br' ? brotliCompressSync(payload) : gzipSync(payload);
      written += body.length;
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding, 'content-length': body.length });
      res.end(body);
    });
    const summary = await startRun(
      probe({
        target: server.url,
        scenario: { executor: 'shared-iterations', vus: 1, iterations: 4, maxDuration: '5s' },
        requests: [
          { name: 'gz', url: '/health', headers: { 'Accept-Encoding': 'gzip' }, expect: { json: { '$.status': 'up' } } },
          { name: 'br', url: '/health', headers: { 'Accept-Encoding': 'br' }, expect: { json: { '$.status': 'up' } } },
        ],
      }),
      { threads: 1 },
    ).done;
    expect({ outcomes: summary.outcomes, errors: summary.errors }).toMatchObject({ outcomes: { ok: 4, assertion_failed: 0 }, errors: [] });
    // The wire bytes (heads included), far fewer than the 4 decoded bodies:
    expect(summary.metrics.data_received!.values.count).toBeGreaterThan(written);
    expect(summary.metrics.data_received!.values.count).toBeLessThan(4 * payload.length);
  });
});
