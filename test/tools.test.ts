import { describe, expect, it } from 'vitest';
import { requireBinary } from './tools.ts';

describe('external binaries in tests', () => {
  it('fails a missing binary in CI and skips it only locally', () => {
    const ci = requireBinary('burnwatch-no-such-binary', { CI: 'true' });
    expect(ci).toMatchObject({ path: undefined, skip: false, missingInCi: true });
    expect(() => ci.need()).toThrow(/burnwatch-no-such-binary is required \(CI is set\)/);
    expect(requireBinary('burnwatch-no-such-binary', {})).toMatchObject({ path: undefined, skip: true, missingInCi: false });
    expect(requireBinary('burnwatch-no-such-binary', { CI: 'false' })).toMatchObject({ skip: true });
  });

  it('finds a binary that is on PATH', () => {
    const sh = requireBinary('sh', { CI: 'true' });
    expect(sh.path).toMatch(/\/sh$/);
    expect(sh.need()).toBe(sh.path);
  });
});
