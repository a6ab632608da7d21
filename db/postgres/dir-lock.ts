import { closeSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

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
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(/^PID:\s*(\d+)/m.exec(text)?.[1]);
  const since = /^Since:\s*(.+)$/m.exec(text)?.[1]?.trim();
  // A file still being written by its creator (no PID yet) is held.
  if (!Number.isInteger(pid) || pid <= 0) return text === '' ? { pid: 0, since: undefined } : undefined;
  if (pid === process.pid) return { pid, since };
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, another user's: it holds the file (its directory is not ours to judge).
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return { pid, since };
    return undefined;
  }
  const fds = `/proc/${pid}/fd`;
  let entries: string[];
  try {
    entries = readdirSync(fds);
  } catch {
    // No /proc (macOS) or not ours to read: a live PID is taken at its word.
    return { pid, since };
  }
  const target = realpathSync(file);
  for (const fd of entries) {
    try {
      if (readlinkSync(path.join(fds, fd)) === target) return { pid, since };
    } catch {
      // closed meanwhile
    }
  }
  return undefined;
}
