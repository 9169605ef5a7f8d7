import { describe, expect, it } from 'vitest';
import { Router } from './router.ts';

function router() {
  return new Router<string>()
    .add('GET', '/v1/experiments', 'list')
    .add('POST', '/v1/experiments', 'create')
    .add('GET', '/v1/experiments/:id', 'get')
    .add('DELETE', '/v1/experiments/:id', 'delete')
    .add('GET', '/v1/experiments/:id/results', 'results');
}

describe('Router', () => {
  it('matches static paths by method', () => {
    expect(router().match('POST', '/v1/experiments')).toMatchObject({ kind: 'found', value: 'create', params: [] });
  });

  it('extracts and percent-decodes path parameters', () => {
    expect(router().match('GET', '/v1/experiments/exp%201/results')).toEqual({ kind: 'found', value: 'results', params: ['exp 1'] });
  });

  it('answers method_not_allowed with the allowed methods when only the method is wrong', () => {
    expect(router().match('PUT', '/v1/experiments')).toEqual({ kind: 'method_not_allowed', allow: 'GET, POST' });
    expect(router().match('PATCH', '/v1/experiments/x')).toEqual({ kind: 'method_not_allowed', allow: 'DELETE, GET' });
  });

  it.each(['/v1/experiments/', '/v1/experiments/x/y', '/v1', '/', '/v1/experiments/%E0%A4%A/results'])('does not match %s', (path) => {
    expect(router().match('GET', path)).toEqual({ kind: 'not_found' });
  });

  it('refuses to register the same method and pattern twice', () => {
    expect(() => router().add('GET', '/v1/experiments/:other', 'again')).toThrow(/duplicate route GET/);
  });
});
