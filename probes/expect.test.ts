import { describe, expect, it } from 'vitest';
import { checkHeaders, compileExpect, rawHeader } from './expect.ts';

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
