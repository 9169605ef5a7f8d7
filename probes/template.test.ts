import { describe, expect, it } from 'vitest';
import { compileJsonBody, compileTemplate, jsonBodyProblems, templateLiterals, templatePieces, templateProblem } from './template.ts';

const ctx = { vu: 3, iter: 7, seq: 42 };

describe('templates', () => {
  it('templateLiterals gives the literal text and pick items (quoted ones whole), not the tags', () => {
    expect(templateLiterals('/x?q={{pick "a b" c}}&n={{randInt 1 9}}&u={{uuid}}')).toBe('/x?q=a bc&n=&u=');
    expect(templateLiterals("{{pick 'd\te' f}}")).toBe('d\tef');
    expect(templateLiterals('static')).toBe('static');
  });

  it('templatePieces gives each run of literal text and each pick item on its own, and says which text a tag follows', () => {
    expect(templatePieces('/x?q={{pick a "%41"}}&n={{randInt 1 9}}')).toEqual([
      { text: '/x?q=', item: false, beforeTag: true },
      { text: 'a', item: true, beforeTag: false },
      { text: '%41', item: true, beforeTag: false },
      { text: '&n=', item: false, beforeTag: true },
    ]);
    expect(templatePieces('static')).toEqual([{ text: 'static', item: false, beforeTag: false }]);
  });

  it('a template without tags is static and renders its text', () => {
    const t = compileTemplate('/v1/flags/flag-1/evaluate');
    expect(t.isStatic).toBe(true);
    expect(t.render(ctx)).toBe('/v1/flags/flag-1/evaluate');
  });

  it('randInt stays within its inclusive range and reaches both ends', () => {
    const t = compileTemplate('{{randInt 1 3}}');
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) seen.add(t.render(ctx));
    expect([...seen].sort()).toEqual(['1', '2', '3']);
  });

  it('userId renders the demo target’s user ids', () => {
    const t = compileTemplate('/v1/assignments/get_variant?experiment=exp-{{randInt 1 50}}&user={{userId 1 1000000}}');
    for (let i = 0; i < 100; i++) {
      const m = /experiment=exp-(\d+)&user=u-(\d+)$/.exec(t.render(ctx));
      expect(m).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThanOrEqual(1);
      expect(Number(m![1])).toBeLessThanOrEqual(50);
      expect(Number(m![2])).toBeLessThanOrEqual(1_000_000);
    }
  });

  it('userId takes no negative MIN (it rendered "u--5"); randInt stays signed', () => {
    expect(templateProblem('{{userId -5 -5}}')).toBe('{{userId -5 -5}}: MIN must be 0 or more (the ids are u-MIN … u-MAX), got -5');
    expect(templateProblem('{{userId -1 10}}')).toBe('{{userId -1 10}}: MIN must be 0 or more (the ids are u-MIN … u-MAX), got -1');
    expect(compileTemplate('{{userId 0 0}}').render(ctx)).toBe('u-0');
    expect(compileTemplate('{{randInt -5 -5}}').render(ctx)).toBe('-5');
  });

  it('uuid, pick with quoted values, now, seq, vu and iter render what they say', () => {
    expect(compileTemplate('{{uuid}}').render(ctx)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const pick = compileTemplate('{{pick a "b c" \'d\'}}');
    for (let i = 0; i < 50; i++) expect(['a', 'b c', 'd']).toContain(pick.render(ctx));
    expect(Number(compileTemplate('{{now}}').render(ctx))).toBeGreaterThan(1.6e12);
    expect(compileTemplate('{{seq}}/{{vu}}/{{iter}}').render(ctx)).toBe('42/3/7');
    expect(compileTemplate('{{nowIso}}').render(ctx)).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(compileTemplate('{{randFloat 1 2 3}}').render(ctx)).toMatch(/^1\.\d{3}$/);
  });

  it('randFloat never renders a negative zero (a JSON "-0" or "-0.00")', () => {
    // [-1, 0) with 0 decimals holds -1 alone: this used to give "0" (rounded up, MAX itself) about half the time.
    const zeroDecimals = compileTemplate('{{randFloat -1 0 0}}');
    // [-0.004, 0.004) with 2 decimals holds 0.00 alone; rounding to the nearest gave "-0.00" for half the draws.
    const twoDecimals = compileTemplate('{{randFloat -0.004 0.004 2}}');
    const aroundZero = compileTemplate('{{randFloat -0.015 0.01 2}}');
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(zeroDecimals.render(ctx)).add(twoDecimals.render(ctx)).add(aroundZero.render(ctx));
    expect([...seen].sort()).toEqual(['-0.01', '-1', '0.00']);
  });

  it('randFloat draws uniformly on its DECIMALS grid in [MIN, MAX): MAX never, the first value as often as any', () => {
    // toFixed rounded to the nearest: {{randFloat 0 1 0}} gave "0" and "1" half each, MAX included.
    const draws = (t: string, n: number): Map<string, number> => {
      const c = compileTemplate(t);
      const counts = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const v = c.render(ctx);
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      return counts;
    };
    expect([...draws('{{randFloat 0 1 0}}', 200).keys()]).toEqual(['0']);
    expect([...draws('{{randFloat 2.5 4 0}}', 300).keys()].sort()).toEqual(['3']);
    // 1.1 × 100 is 110.00000000000001 in floating point: the grid starts at 1.10 all the same.
    expect([...draws('{{randFloat 1.1 1.13 2}}', 300).keys()].sort()).toEqual(['1.10', '1.11', '1.12']);
    const n = 20_000;
    const counts = draws('{{randFloat 0 1 1}}', n);
    const grid = ['0.0', '0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9'];
    expect([...counts.keys()].sort()).toEqual(grid);
    const expected = n / grid.length;
    const chiSquare = grid.reduce((sum, v) => sum + (counts.get(v)! - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: above 40 by chance about once in 200,000 runs; 0.0 at half weight (the old rounding) scores ~500.
    expect(chiSquare).toBeLessThan(40);
  });

  it('randFloat with no value of DECIMALS decimals in [MIN, MAX) is a validation error', () => {
    expect(templateProblem('{{randFloat 0.11 0.12 1}}')).toBe(
      '{{randFloat 0.11 0.12 1}}: no value with 1 decimal lies in [0.11, 0.12); widen the range or give more DECIMALS',
    );
    // 0.1 itself is in [0.1, 0.12): the only value.
    expect(compileTemplate('{{randFloat 0.1 0.12 1}}').render(ctx)).toBe('0.1');
    expect(templateProblem('{{randFloat 5 5}}')).toBe('{{randFloat 5 5 2}}: no value with 2 decimals lies in [5, 5); widen the range or give more DECIMALS');
    expect(templateProblem('{{randFloat 0 1e300}}')).toMatch(/^\{\{randFloat 0 1e\+300 2\}\}: MIN and MAX are too large for 2 decimals/);
    expect(templateProblem('{{randFloat 0.1 0.2 1}}')).toBeUndefined();
  });

  it('eventBatch renders N events the demo target accepts', () => {
    const events = JSON.parse(compileTemplate('{{eventBatch 25}}').render(ctx)) as Record<string, unknown>[];
    expect(events).toHaveLength(25);
    for (const e of events) {
      expect(['exposure', 'conversion']).toContain(e.type);
      expect(e.user).toMatch(/^u-\d+$/);
      expect(e.experiment).toMatch(/^exp-([1-9]|[1-4]\d|50)$/);
      expect(typeof e.ts).toBe('number');
      expect(Object.keys(e).every((k) => ['type', 'user', 'experiment', 'variant', 'value', 'ts'].includes(k))).toBe(true);
      if (e.type === 'conversion') expect(typeof e.value).toBe('number');
    }
  });

  it('quotes are honoured when finding the end of a tag; a literal "{{" is written {{pick "{{"}}', () => {
    expect(compileTemplate('a{{pick "}}"}}b').render(ctx)).toBe('a}}b');
    expect(compileTemplate('{{pick "{{"}}x}}').render(ctx)).toBe('{{x}}');
    expect(compileTemplate("{{pick 'a}}b'}}").render(ctx)).toBe('a}}b');
    expect(templateProblem('{{pick "unterminated}}')).toBe('unterminated quote in tag "{{pick "unterminated}}"; close it, or escape a literal " as \\"');
    expect(templateProblem("{{pick 'tis}}")).toBe(`unterminated quote in tag "{{pick 'tis}}"; close it, or quote an item holding ' with "…" (e.g. "it's")`);
    expect(templateProblem("{{pick 'it''s'}}")).toBe('in tag "{{pick \'it\'\'s\'}}": a quoted item must be followed by a space or the end of the tag; quote each item whole, e.g. {{pick "it\'s" other}}');
    expect(templateProblem('{{pick "a"b}}')).toMatch(/a quoted item must be followed by a space or the end of the tag/);
  });

  it('a double-quoted item decodes backslash escapes (newline, tab, quote, backslash, unicode); a single-quoted one keeps them as written', () => {
    const one = (t: string): string => compileTemplate(t).render(ctx);
    expect(one('{{pick "\\n"}}')).toBe('\n');
    expect(one('{{pick "a\\tb\\r\\n"}}')).toBe('a\tb\r\n');
    expect(one('{{pick "say \\"hi\\""}}')).toBe('say "hi"');
    expect(one('{{pick "C:\\\\dir"}}')).toBe('C:\\dir');
    expect(one('{{pick "it\\\'s"}}')).toBe("it's");
    expect(one('{{pick "a\\/b"}}')).toBe('a/b');
    expect(one('{{pick "\\b\\f"}}')).toBe('\b\f');
    expect(one('{{pick "\\u00e9\\u20AC"}}')).toBe('é€');
    expect(one('{{pick "\\ud83d\\ude00" }}')).toBe('😀');
    expect(one('{{pick "\\u{1F600}"}}')).toBe('😀');
    expect(one('{{pick ""}}')).toBe('');
    expect(one('{{pick "}}\\\\"}}')).toBe('}}\\');
    expect(one("{{pick 'a\\nb'}}")).toBe('a\\nb');
    expect(templateLiterals('{{pick "a\\nb"}}')).toBe('a\nb');
  });

  it('an unknown or incomplete escape in a double-quoted item is an error that names it and the tag', () => {
    expect(templateProblem('{{pick "C:\\dir"}}')).toBe(
      'unknown escape "\\d" in tag "{{pick "C:\\dir"}}"; inside "…" a backslash starts \\" \\\\ \\n \\r \\t \\b \\f \\/ \\\' \\uXXXX or \\u{X…}: write \\\\ for a backslash',
    );
    expect(templateProblem('{{pick "\\u12"}}')).toMatch(/^bad unicode escape "\\u12" in tag "\{\{pick "\\u12"\}\}"; expected \\uXXXX \(4 hex digits\) or \\u\{X…\} \(1 to 6, at most 10FFFF\), e\.g\. \\u00e9 or \\u\{1F600\}$/);
    expect(templateProblem('{{pick "\\u{110000}"}}')).toMatch(/^bad unicode escape "\\u\{110000\}" in tag/);
    expect(templateProblem('{{pick "\\ud83d"}}')).toMatch(/^"\\ud83d" in tag "\{\{pick "\\ud83d"\}\}" is half of a surrogate pair/);
    expect(templateProblem('{{pick "a\\\nb"}}')).toMatch(/^unknown escape "\\" before the character U\+000A in tag/);
    expect(templateProblem('{{pick "a\\"}}')).toMatch(/^unterminated quote in tag/);
  });

  it('a tag inside a tag is rejected, naming the tag and the quoting that makes "{{" literal', () => {
    // It used to validate and send "{{uuid }}" as text.
    expect(templateProblem('{{pick {{uuid}} }}')).toBe('tag "{{pick {{uuid}} }}" holds another tag; tags do not nest: write them side by side, and quote a literal "{{" ({{pick "{{"}})');
    expect(templateProblem('id-{{pick a{{seq}}b}}-{{randInt 9 1}}')).toMatch(/^tag "\{\{pick a\{\{seq\}\}b\}\}" holds another tag; .*; \{\{randInt 9 1\}\}: MIN must not be greater than MAX$/);
    expect(templateProblem('{{pick {{uuid}}')).toMatch(/^tag "\{\{pick \{\{uuid\}\}" holds another tag/);
    expect(() => compileTemplate('{{pick {{uuid}} }}')).toThrow(RangeError);
    expect(compileTemplate('{{pick "{{uuid}}"}}').render(ctx)).toBe('{{uuid}}');
    expect(compileTemplate("{{pick '{{' x}}").render(ctx)).toMatch(/^(\{\{|x)$/);
  });

  it('invalid tags are rejected with a sentence that says what to write', () => {
    expect(templateProblem('{{randint 1 5}}')).toMatch(/unknown generator "randint" \(did you mean "randInt"\?\)/);
    expect(templateProblem('{{randInt 5}}')).toMatch(/takes 2 arguments \(randInt MIN MAX\), got 1/);
    expect(templateProblem('{{randInt 9 1}}')).toMatch(/MIN must not be greater than MAX/);
    expect(templateProblem('{{randInt a 1}}')).toMatch(/MIN must be a whole number, got "a"/);
    expect(templateProblem('x{{uuid')).toMatch(/unterminated tag/);
    expect(templateProblem('{{}}')).toMatch(/empty tag/);
    expect(templateProblem('{{eventBatch 0}}')).toMatch(/N must be between 1 and 10000/);
    expect(templateProblem('{{pick}}')).toMatch(/at least one value/);
    expect(templateProblem('ok {{uuid}}')).toBeUndefined();
    expect(() => compileTemplate('{{nope}}')).toThrow(RangeError);
  });
});

describe('JSON bodies', () => {
  it('embeds whole-leaf number and array generators unquoted and quotes mixed text', () => {
    const body = compileJsonBody({ n: '{{randInt 5 5}}', user: 'u-{{randInt 7 7}}', batch: '{{eventBatch 2}}', fixed: [1, true, null], id: '{{uuid}}' });
    const parsed = JSON.parse(body.render(ctx)) as Record<string, unknown>;
    expect(parsed.n).toBe(5);
    expect(parsed.user).toBe('u-7');
    expect(parsed.batch).toHaveLength(2);
    expect(parsed.fixed).toEqual([1, true, null]);
    expect(typeof parsed.id).toBe('string');
  });

  it('a body without tags is static JSON', () => {
    const body = compileJsonBody({ key: 'flag-1', enabled: true, rollout: 25 });
    expect(body.isStatic).toBe(true);
    expect(body.text).toBe('{"key":"flag-1","enabled":true,"rollout":25}');
  });

  it('a top-level eventBatch string sends the array itself', () => {
    const body = compileJsonBody('{{eventBatch 3}}');
    expect(JSON.parse(body.render(ctx))).toHaveLength(3);
  });

  it('reports template problems in a JSON body with the key path', () => {
    expect(jsonBodyProblems({ a: [{ b: '{{nope}}' }] })).toEqual([{ path: ['a', 0, 'b'], message: expect.stringMatching(/unknown generator "nope"/) as unknown }]);
  });
});
