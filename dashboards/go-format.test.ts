import { describe, expect, it } from 'vitest';
import { goFixed, goFloat, labelFilter } from './go-format.ts';

describe('Go number formatting (as Sloth’s templates print)', () => {
  it.each([
    [99.9 / 100, '0.9990000000000001'],
    [(100 - 99.9) / 100, '0.0009999999999999432'],
    [(100 - 99.99) / 100, '0.00010000000000005117'],
    [(100 - 99.999) / 100, '1.0000000000047748e-05'],
    [14.4, '14.4'],
    [6, '6'],
    [30, '30'],
    [5.6000000000000005, '5.6000000000000005'],
    [123456, '123456'],
    [1e6, '1e+06'],
    [1234567.5, '1.2345675e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-2.5, '-2.5'],
    [0, '0'],
  ])('%s → %s', (x, s) => {
    expect(goFloat(x)).toBe(s);
  });

  it('prints sloth_objective without an exponent', () => {
    expect(goFixed(99.9)).toBe('99.9');
    expect(goFixed(1e-7)).toBe('0.0000001');
    expect(goFixed(2e21)).toBe('2000000000000000000000');
  });

  it('writes label filters like Prometheus’ LabelSet.String (sorted, ", ")', () => {
    expect(labelFilter({ sloth_slo: 'a"b', sloth_id: 'x\\y' })).toBe('{sloth_id="x\\\\y", sloth_slo="a\\"b"}');
  });
});
