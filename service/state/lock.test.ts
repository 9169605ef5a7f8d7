import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock } from './lock.ts';

const dirs: string[] = [];
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'burnwatch-lock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The pid of a process that has exited (a lock left by kill -9). */
let deadPid: number;
beforeAll(async () => {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  deadPid = child.pid!;
});

const lockFile = (dir: string): string => join(dir, 'burnwatch.lock');
const pidIn = (dir: string): string => readFileSync(lockFile(dir), 'utf8').trim();

describe('acquireLock', () => {
  it('takes a free data dir by writing its pid into burnwatch.lock, and release removes the file', () => {
    const dir = dataDir();
    const lock = acquireLock(dir);
    expect(lock.file).toBe(lockFile(dir));
    expect(pidIn(dir)).toBe(String(process.pid));
    lock.release();
    expect(existsSync(lockFile(dir))).toBe(false);
    lock.release(); // twice is harmless
    expect(() => acquireLock(dir).release()).not.toThrow();
  });

  it('refuses a data dir locked by another live process with DATA_DIR_LOCKED naming its pid, and leaves its lock alone', () => {
    const dir = dataDir();
    writeFileSync(lockFile(dir), `${process.ppid}\n`);
    expect(() => acquireLock(dir)).toThrow(
      expect.objectContaining({ code: 'DATA_DIR_LOCKED', message: expect.stringContaining(`another burnwatch (pid ${process.ppid}) is using the data dir ${dir}`) as unknown }),
    );
    expect(pidIn(dir)).toBe(String(process.ppid));
  });

  it('takes over a stale lock left by a process that is gone, leaving no file aside', () => {
    const dir = dataDir();
    writeFileSync(lockFile(dir), `${deadPid}\n`);
    const lock = acquireLock(dir);
    expect(pidIn(dir)).toBe(String(process.pid));
    expect(readdirSync(dir)).toEqual(['burnwatch.lock']);
    lock.release();
  });

  it('takes over a lock holding no pid (a crash between creating and writing it)', () => {
    const dir = dataDir();
    writeFileSync(lockFile(dir), '');
    const lock = acquireLock(dir);
    expect(pidIn(dir)).toBe(String(process.pid));
    lock.release();
  });

  it('takes over a lock holding its own pid (a previous run in a container, where the pid repeats)', () => {
    const dir = dataDir();
    writeFileSync(lockFile(dir), `${process.pid}\n`);
    const lock = acquireLock(dir);
    expect(pidIn(dir)).toBe(String(process.pid));
    lock.release();
    expect(existsSync(lockFile(dir))).toBe(false);
  });

  it('does not remove on release a lock file someone else replaced', () => {
    const dir = dataDir();
    const lock = acquireLock(dir);
    rmSync(lockFile(dir));
    writeFileSync(lockFile(dir), `${process.ppid}\n`);
    lock.release();
    expect(pidIn(dir)).toBe(String(process.ppid));
  });

  it('fails with DATA_DIR_LOCK when the lock cannot be created at all', () => {
    const dir = join(dataDir(), 'missing');
    expect(() => acquireLock(dir)).toThrow(expect.objectContaining({ code: 'DATA_DIR_LOCK', message: expect.stringContaining(lockFile(dir)) as unknown }));
  });
});
