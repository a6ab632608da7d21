import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';

// The embedded stores are each opened by one process at a time, and each says which process
// holds it in a file (chDB's `status`, PGlite's `pg.lock`). These read such a file and tell a
// live holder from a crashed one's leftover.

export interface HolderFile {
  /** Undefined while the file is being written (it exists, no PID yet). */
  pid: number | undefined;
  since: string | undefined;
}

/** `PID: n` and the line labelled `sinceLabel` of a holder file; undefined if it cannot be read. */
export function readHolderFile(file: string, sinceLabel: string): HolderFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(/^PID:\s*(\d+)/m.exec(text)?.[1]);
  const since = new RegExp(`^${sinceLabel}:\\s*(.+)$`, 'm').exec(text)?.[1]?.trim();
  return { pid: Number.isInteger(pid) && pid > 0 ? pid : undefined, since };
}

/** 'foreign': alive, but another user's (signals are refused). */
export function processState(pid: number): 'alive' | 'gone' | 'foreign' {
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? 'foreign' : 'gone';
  }
}

/**
 * Whether process `pid` has `file` open, from /proc; undefined when that cannot be told (no
 * /proc, as on macOS, or another user's process). A PID from a leftover file that the system
 * has since given to another program does not have it open.
 */
export function hasFileOpen(pid: number, file: string): boolean | undefined {
  let target: string;
  let entries: string[];
  const fds = `/proc/${pid}/fd`;
  try {
    target = realpathSync(file);
    entries = readdirSync(fds);
  } catch {
    return undefined;
  }
  return entries.some((fd) => {
    try {
      return readlinkSync(path.join(fds, fd)) === target;
    } catch {
      return false; // closed meanwhile
    }
  });
}
