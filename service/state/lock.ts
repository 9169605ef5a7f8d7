/**
 * One instance per data dir: a lock file holding the owner's pid, created
 * exclusively. A lock left by a dead process (kill -9) is taken over; a live
 * owner makes the second instance refuse to start.
 */
import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { BurnwatchError } from '../../common/index.ts';

export interface InstanceLock {
  file: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data dir's lock or throws `BurnwatchError('DATA_DIR_LOCKED')` naming the owner. */
export function acquireLock(dataDir: string): InstanceLock {
  const file = join(dataDir, 'burnwatch.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        file,
        release: () => {
          if (released) return;
          released = true;
          rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new BurnwatchError('DATA_DIR_LOCK', `cannot create the lock ${file}: ${(err as Error).message}`, { cause: err });
      }
      let owner = NaN;
      try {
        owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
      } catch {
        // vanished between open and read: try again
      }
      if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
        throw new BurnwatchError(
          'DATA_DIR_LOCKED',
          `another burnwatch (pid ${owner}) is using the data dir ${dataDir}; stop it or use --data-dir for a second instance`,
        );
      }
      rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new BurnwatchError('DATA_DIR_LOCKED', `could not take the lock ${file}`);
}
