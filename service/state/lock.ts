/**
 * One instance per data dir: a lock file holding the owner's pid, created
 * exclusively. A lock left by a dead process (kill -9) is taken over; a live
 * owner makes the second instance refuse to start. Two processes taking over
 * the same stale lock at once cannot both win: the stale file is moved aside
 * atomically (and put back if it turns out to be a fresh lock), and after
 * creating its file each reads it back: only the pid written there owns the dir. Release removes
 * the file only while it still holds this process's pid.
 */
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

function owner(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the data dir's lock or throws `BurnwatchError('DATA_DIR_LOCKED')` naming the owner. */
export function acquireLock(dataDir: string): InstanceLock {
  const file = join(dataDir, 'burnwatch.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // The lock appears with its pid already in it: written to a private file, then linked into place
      // (link fails when the lock exists), so no one ever sees an empty lock and takes it for stale.
      const mine = `${file}.${process.pid}`;
      writeFileSync(mine, `${process.pid}\n`);
      try {
        linkSync(mine, file);
      } finally {
        rmSync(mine, { force: true });
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new BurnwatchError('DATA_DIR_LOCK', `cannot create the lock ${file}: ${(err as Error).message}`, { cause: err });
      }
      const pid = owner(file);
      if (pid !== undefined && pid !== process.pid && alive(pid)) {
        throw new BurnwatchError(
          'DATA_DIR_LOCKED',
          `another burnwatch (pid ${pid}) is using the data dir ${dataDir}; stop it or use --data-dir for a second instance`,
        );
      }
      // Stale (its owner is gone): move it aside atomically, so of two processes doing this only one
      // removes the stale file; the other's rename fails and it tries again from the start.
      const aside = `${file}.stale-${process.pid}`;
      try {
        renameSync(file, aside);
      } catch {
        continue; // someone else moved it first
      }
      // What was moved may be a fresh lock another process created after we read the stale one:
      // if so, put it back (link fails rather than overwrite a lock created meanwhile).
      if (owner(aside) !== pid) {
        try {
          linkSync(aside, file);
        } catch {
          // a newer lock is already in place; it decides
        }
      }
      rmSync(aside, { force: true });
      continue;
    }
    if (owner(file) !== process.pid) continue; // lost a race after all: look again
    let released = false;
    return {
      file,
      release: () => {
        if (released) return;
        released = true;
        if (owner(file) === process.pid) rmSync(file, { force: true });
      },
    };
  }
  const pid = owner(file);
  throw new BurnwatchError('DATA_DIR_LOCKED', `could not take the lock ${file}${pid !== undefined ? ` (held by pid ${pid})` : ''}`);
}
