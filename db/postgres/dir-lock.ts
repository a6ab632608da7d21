import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { hasFileOpen, processState, readHolderFile } from '../holder-file';

// PGlite opens its data directory without checking that another process has it open, and two
// processes writing one Postgres directory corrupt it (the second removes the first's
// postmaster.pid on close, and both checkpoint into the same files). So a process that opens
// the embedded Postgres takes a lock file beside it first. Node has no flock: the file is
// created exclusively, names its process, and stays open for as long as the process holds it,
// which is how a live holder is told from a crashed one's leftover (a dead PID, or a PID the
// system has since given to a program that does not have the file open).

export interface LockHolder {
  pid: number;
  since: string | undefined;
}

export interface FileLock {
  /** Closes and removes the lock file; idempotent. */
  release(): void;
}

/**
 * Takes `file` for this process, or names the live process that has it. A leftover from a
 * process that has died is replaced.
 */
export function takeFileLock(file: string): { lock: FileLock } | { holder: LockHolder } {
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = liveHolder(file);
      if (holder) return { holder };
      rmSync(file, { force: true });
      continue;
    }
    writeSync(fd, `PID: ${process.pid}\nSince: ${new Date().toISOString()}\n`);
    let released = false;
    return {
      lock: {
        release() {
          if (released) return;
          released = true;
          closeSync(fd);
          rmSync(file, { force: true });
        },
      },
    };
  }
  throw new Error(`could not take the lock file ${file}: it kept reappearing`);
}

/** The process that holds `file`, if it is alive and (where /proc tells) has the file open. */
function liveHolder(file: string): LockHolder | undefined {
  const holder = readHolderFile(file, 'Since');
  if (!holder) return undefined;
  const { pid, since } = holder;
  // Created but not written yet: its creator is between the two calls.
  if (pid === undefined) return { pid: 0, since: undefined };
  if (pid === process.pid) return { pid, since };
  switch (processState(pid)) {
    case 'gone':
      return undefined;
    case 'foreign':
      return { pid, since };
    case 'alive':
      // Where /proc cannot tell (macOS), a live PID is taken at its word.
      return hasFileOpen(pid, file) === false ? undefined : { pid, since };
  }
}
