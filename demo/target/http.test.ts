import { describe, expect, it } from 'vitest';
import { HttpError, parseJson, parseQuery } from './http.ts';

describe('parseQuery', () => {
  it('parses names and values, decoding + and percent escapes', () => {
    expect({ ...parseQuery('experiment=exp-1&user=u%2042&q=a+b&flag') }).toEqual({ experiment: 'exp-1', user: 'u 42', q: 'a b', flag: '' });
  });

  it('keeps the first value of a repeated name and skips empty pairs', () => {
    expect({ ...parseQuery('a=1&&a=2&b=') }).toEqual({ a: '1', b: '' });
  });

  it('treats __proto__ as an ordinary name', () => {
    const q = parseQuery('__proto__=x&user=u');
    expect(q.__proto__).toBe('x');
    expect(Object.getPrototypeOf(q)).toBeNull();
  });

  it('answers a malformed escape with a 400 HttpError', () => {
    let caught: unknown;
    try {
      parseQuery('user=%zz');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HttpError);
    expect(caught).toMatchObject({ status: 400, code: 'invalid_query' });
    expect(() => parseQuery('user=%E0%A4%A')).toThrow(/malformed percent-encoding/);
  });
});

describe('parseJson', () => {
  it('parses JSON and turns syntax errors and empty bodies into 400s', () => {
    expect(parseJson('[1]')).toEqual([1]);
    expect(() => parseJson('{')).toThrow(/not valid JSON/);
    expect(() => parseJson('')).toThrow(/empty/);
  });
});
