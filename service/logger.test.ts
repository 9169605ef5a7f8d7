import { describe, expect, it } from 'vitest';
import { BurnwatchError } from '../common/index.ts';
import { createLogger, silentLogger } from './logger.ts';
import type { LoggerOptions, LogLevel } from './logger.ts';

function capture(options: Omit<LoggerOptions, 'write'> = {}): { raw: string[]; lines: () => Record<string, unknown>[]; log: ReturnType<typeof createLogger> } {
  const raw: string[] = [];
  const log = createLogger({ ...options, write: (line) => raw.push(line) });
  return { raw, log, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level and msg first, then the fields', () => {
    const { raw, lines, log } = capture();
    log.info('probe run finished', { probe: 'assignment', requests: 12 });
    expect(raw).toHaveLength(1);
    expect(raw[0]!.endsWith('}\n')).toBe(true);
    expect(raw[0]!.indexOf('\n')).toBe(raw[0]!.length - 1);
    const [line] = lines();
    expect(Object.keys(line!)).toEqual(['time', 'level', 'msg', 'probe', 'requests']);
    expect(line).toMatchObject({ level: 'info', msg: 'probe run finished', probe: 'assignment', requests: 12 });
    expect(new Date(line!.time as string).toISOString()).toBe(line!.time);
  });

  it.each<[LogLevel, string[]]>([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
  ])('at level %s writes %j', (level, expected) => {
    const { lines, log } = capture({ level });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines().map((l) => l.level)).toEqual(expected);
  });

  it('is at info when no level is given', () => {
    const { lines, log } = capture();
    log.debug('hidden');
    log.info('shown');
    expect(lines().map((l) => l.msg)).toEqual(['shown']);
  });

  it('reads a level given as a function at every line', () => {
    let level: LogLevel = 'warn';
    const { lines, log } = capture({ level: () => level });
    const child = log.child({ probe: 'a' });
    log.info('before');
    level = 'debug';
    log.debug('after');
    child.debug('child after');
    expect(lines().map((l) => l.msg)).toEqual(['after', 'child after']);
  });

  it('gives a child its parent\'s fields plus its own, and a line\'s fields win over both', () => {
    const { lines, log } = capture();
    const run = log.child({ probe: 'assignment', run_id: 'r1' }).child({ trace_id: 't1', run_id: 'r2' });
    run.info('started', { trace_id: 't2' });
    log.info('parent');
    expect(lines()).toEqual([
      expect.objectContaining({ msg: 'started', probe: 'assignment', run_id: 'r2', trace_id: 't2' }),
      expect.not.objectContaining({ probe: 'assignment' }),
    ]);
  });

  it('writes errors as name, message, code and cause instead of {}', () => {
    const { lines, log } = capture();
    const cause = new Error('ENOSPC: no space left on device');
    log.error('could not store SLI data', {
      err: new BurnwatchError('STORE_WRITE', 'the SLI store write failed', { cause }),
      plain: new TypeError('bad'),
      nested: { inner: new Error('deep') },
      causeText: new Error('outer', { cause: 'a string cause' }),
    });
    expect(lines()[0]).toMatchObject({
      err: { name: 'BurnwatchError', message: 'the SLI store write failed', code: 'STORE_WRITE', cause: 'ENOSPC: no space left on device' },
      plain: { name: 'TypeError', message: 'bad' },
      nested: { inner: { name: 'Error', message: 'deep' } },
      causeText: { message: 'outer', cause: 'a string cause' },
    });
    expect(lines()[0]!.plain).not.toHaveProperty('cause');
  });

  it('redacts secrets wherever they appear, raw or JSON-escaped, in the message, fields and errors', () => {
    const secret = 'p@ss"wo\\rd-42';
    const { raw, lines, log } = capture({ secrets: [secret, 'tok-123456'] });
    log.warn(`login with ${secret} failed`, {
      header: 'Bearer tok-123456',
      err: new Error(`bad token tok-123456 for ${secret}`),
      url: 'https://bot:hunter22@example.com/x',
    });
    const text = raw.join('');
    expect(text).not.toContain('tok-123456');
    expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(text).not.toContain('hunter22');
    expect(lines()[0]).toMatchObject({
      msg: 'login with [redacted] failed',
      header: 'Bearer [redacted]',
      err: { message: 'bad token [redacted] for [redacted]' },
      url: 'https://[redacted]@example.com/x',
    });
  });

  it('keeps every line valid JSON when a secret is also a JSON literal or number (a flag or a count from the environment)', () => {
    const { raw, log } = capture({ secrets: ['false', '1000'] });
    log.info('probe run finished with 1000 requests', { requests: 1000, insecure: false, note: 'false alarm' });
    const line = raw.join('').trim();
    expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(JSON.parse(line)).toMatchObject({ msg: 'probe run finished with [redacted] requests', requests: 1000, insecure: false, note: '[redacted] alarm' });
  });

  it('reads secrets given as a function at every line, in children too', () => {
    let secrets: string[] = ['first-secret'];
    const { lines, log } = capture({ secrets: () => secrets });
    const child = log.child({ probe: 'a' });
    log.info('first-secret second-secret');
    secrets = ['second-secret'];
    child.info('first-secret second-secret');
    expect(lines().map((l) => l.msg)).toEqual(['[redacted] second-secret', 'first-secret [redacted]']);
  });

  it('leaves values shorter than four characters alone (they would blank out ordinary words)', () => {
    const { lines, log } = capture({ secrets: ['on'] });
    log.info('connection done');
    expect(lines()[0]!.msg).toBe('connection done');
  });
});

describe('createLogger, defensively', () => {
  it('never lets a field overwrite time, level or msg', () => {
    const { lines, log } = capture();
    log.warn('the real message', { msg: 'forged', level: 'debug', time: 'yesterday', probe: 'p' });
    const [line] = lines();
    expect(line).toMatchObject({ level: 'warn', msg: 'the real message', probe: 'p' });
    expect(line!.time).not.toBe('yesterday');
  });

  it('writes the line without its fields, and says why, when a field cannot be serialised', () => {
    const { lines, log } = capture();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => log.error('still logged', { cycle, big: 1n })).not.toThrow();
    expect(lines()[0]).toMatchObject({ level: 'error', msg: 'still logged', logError: expect.stringContaining('fields could not be serialised') as unknown });
  });
});

describe('silentLogger', () => {
  it('drops every line and its children are silent too', () => {
    expect(() => {
      silentLogger.error('x', { err: new Error('y') });
      silentLogger.child({ a: 1 }).info('z');
    }).not.toThrow();
    expect(silentLogger.child({ a: 1 })).toBe(silentLogger);
  });
});
