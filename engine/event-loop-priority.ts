import { readFileSync, readdirSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import type { Logger } from '../core/logger';

/** How often threads started after the raise are looked for (they inherit the raised priority). */
const SWEEP_EVERY_MS = 5_000;

export type PriorityOutcome =
  | { granted: true; nice: number; base: number }
  | { granted: false; nice: number; base: number; reason: string };

export interface EventLoopPriority {
  readonly outcome: PriorityOutcome;
  /**
   * Gives threads started since the raise (which inherit the event-loop thread's priority) the
   * base priority back; runs every 5 s on its own. Resolves to the number of threads changed.
   */
  sweep(): Promise<number>;
  /** Gives the event-loop thread its base priority back and stops sweeping. */
  stop(): void;
}

/**
 * Raises the CPU priority of the calling thread alone — the event loop, where ticks are
 * decoded, checked and aggregated — above the process's other threads (chDB's inserts and
 * merges, V8's and libuv's helpers) and other programs on the machine. On a busy machine this
 * is what keeps a tick from waiting behind a storage insert for a scheduler slice (measured on
 * 2 cores: bench/ingest.ts, DEVELOPERS.md).
 *
 * Linux only: there the nice value belongs to a thread, and `setpriority(PRIO_PROCESS, 0)`
 * changes the calling thread's. Raising it needs CAP_SYS_NICE or an RLIMIT_NICE that allows it
 * (root has both, a container only with `--cap-add SYS_NICE`); without, nothing changes and the
 * outcome says why. A nice of 0 or above asks for nothing.
 *
 * Threads created by the event-loop thread afterwards start with its nice value; the sweep
 * finds them (new thread ids whose nice is the raised one) and lowers them back to the base, so
 * that only the event loop runs ahead.
 */
export function raiseEventLoopPriority(nice: number, logger?: Logger): EventLoopPriority {
  if (!Number.isInteger(nice) || nice < -20 || nice > 19) throw new RangeError(`nice must be a whole number from -20 to 19, got ${String(nice)}`);
  const base = os.getPriority(0);
  const refuse = (reason: string): EventLoopPriority => {
    const outcome: PriorityOutcome = { granted: false, nice, base, reason };
    return { outcome, sweep: () => Promise.resolve(0), stop: () => undefined };
  };
  if (nice >= base) return refuse(`nice ${nice} is not above the thread's current priority (nice ${base})`);
  if (process.platform !== 'linux') return refuse(`per-thread priorities are set on Linux only, not on ${process.platform}`);

  const known = new Set(threadIds());
  try {
    os.setPriority(0, nice);
  } catch (error) {
    const code = (error as { info?: { code?: string } }).info?.code ?? (error as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'not permitted (needs CAP_SYS_NICE, or an RLIMIT_NICE that allows it)' : (error as Error).message;
    return refuse(why);
  }
  const mainTid = threadIdOfCaller();
  known.add(mainTid);
  logger?.info({ nice, base }, 'event-loop thread priority raised');

  let sweeping: Promise<number> | undefined;
  const sweep = (): Promise<number> => {
    sweeping ??= lowerInheritors(known, nice, base, logger).finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  };
  const timer = setInterval(() => void sweep(), SWEEP_EVERY_MS).unref();
  let stopped = false;
  return {
    outcome: { granted: true, nice, base },
    sweep,
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      // Lowering one's own priority needs no privilege.
      os.setPriority(0, base);
    },
  };
}

/** What the outcome means for an operator, in one line. */
export function describePriority(outcome: PriorityOutcome): string {
  return outcome.granted
    ? `event-loop thread at nice ${outcome.nice} (base ${outcome.base})`
    : `event-loop thread left at nice ${outcome.base}, nice ${outcome.nice} refused: ${outcome.reason}`;
}

async function lowerInheritors(known: Set<number>, nice: number, base: number, logger: Logger | undefined): Promise<number> {
  let lowered = 0;
  let tids: number[];
  try {
    tids = (await readdir('/proc/self/task')).map(Number);
  } catch {
    return 0;
  }
  for (const tid of tids) {
    if (known.has(tid)) continue;
    known.add(tid);
    const current = await threadNice(tid);
    if (current !== nice) continue;
    try {
      os.setPriority(tid, base);
      lowered += 1;
    } catch {
      // The thread ended between the read and the change.
    }
  }
  if (lowered > 0) logger?.debug({ threads: lowered, base }, 'threads started by the event loop given the base priority back');
  return lowered;
}

function threadIds(): number[] {
  return readdirSync('/proc/self/task').map(Number);
}

function threadIdOfCaller(): number {
  // /proc/thread-self → "<pid>/task/<tid>" of the thread that resolves it.
  const stat = readFileSync('/proc/thread-self/stat', 'latin1');
  return Number(stat.slice(0, stat.indexOf(' ')));
}

/** The nice value of one of this process's threads (field 19 of its stat), or null when it has ended. */
export async function threadNice(tid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/self/task/${tid}/stat`, 'latin1');
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19 - 3]);
  } catch {
    return null;
  }
}
