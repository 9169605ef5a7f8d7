import { describe, expect, it } from 'vitest';
import { redact, redactData, redactJson } from './redact.ts';

describe('redact', () => {
  it('replaces a secret raw and in its JSON-escaped form', () => {
    const secret = 'pa"ss\\word1';
    const line = JSON.stringify({ msg: 'x', header: `Bearer ${secret}` });
    expect(line).not.toContain(secret); // JSON escapes it, so a raw search alone would miss it
    expect(redact(line, [secret])).toBe('{"msg":"x","header":"Bearer [redacted]"}');
    expect(redact(`token=${secret}`, [secret])).toBe('token=[redacted]');
  });

  it('hides the user-info of URLs whether or not it is a known secret', () => {
    expect(redact('target https://bot:hunter22@api.example.com/v1', [])).toBe('target https://[redacted]@api.example.com/v1');
    expect(redact('http://127.0.0.1:8081/x?a=b@c', [])).toBe('http://127.0.0.1:8081/x?a=b@c');
    // A password holding an @: the user-info runs to the last @ of the authority, as URL parsers read it.
    expect(redact('{"target":"http://bot:pa@Tr0ub4dor@127.0.0.1:9/x@y"}', [])).toBe('{"target":"http://[redacted]@127.0.0.1:9/x@y"}');
    expect(redact('http://a:b@h1 and http://c:d@h2?e=f@g', [])).toBe('http://[redacted]@h1 and http://[redacted]@h2?e=f@g');
  });

  it('leaves very short values alone', () => {
    expect(redact('on and on', ['on'])).toBe('on and on');
  });

  it('redacts strings only when writing JSON, so a secret that is also a literal or a number keeps the JSON valid', () => {
    expect(redactJson({ token: 'Bearer s3cret-value', ok: true, n: 1000, 's3cret-value': 'as a key' }, ['s3cret-value', 'true', '1000'])).toBe(
      '{"token":"Bearer [redacted]","ok":true,"n":1000,"[redacted]":"as a key"}',
    );
  });

  it('redacts every string of plain data', () => {
    expect(redactData({ a: ['xx s3cret-value yy'], b: 1 }, ['s3cret-value'])).toEqual({ a: ['xx [redacted] yy'], b: 1 });
  });
});
