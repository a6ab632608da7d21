import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { describePriority, raiseEventLoopPriority, threadNice, type EventLoopPriority } from '../../engine/event-loop-priority';
import { mayRaiseNice } from '../support/priority';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** A thread started by this one: it reports its thread id and waits until terminated. */
async function startThread(): Promise<{ tid: number; stop(): Promise<number> }> {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const stat = require('node:fs').readFileSync('/proc/thread-self/stat', 'latin1');
     parentPort.postMessage(Number(stat.slice(0, stat.indexOf(' '))));
     setInterval(() => {}, 1000);`,
    { eval: true },
  );
  const tid = await new Promise<number>((resolve) => worker.once('message', resolve));
  return { tid, stop: () => worker.terminate() };
}

/** The nice value of every thread of this process but the main one (threadNice, the module's own reader). */
async function otherThreadNices(): Promise<Map<number, number>> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task').map(Number)) {
    if (tid === process.pid) continue;
    const nice = await threadNice(tid);
    if (nice !== null) nices.set(tid, nice);
  }
  return nices;
}

describe('raiseEventLoopPriority', () => {
  let priority: EventLoopPriority | undefined;
  const base = os.getPriority(0);
  afterEach(() => {
    priority?.stop();
    priority = undefined;
  });

  it('raises the calling thread alone, hands inheriting threads the base priority back, and restores it on stop', async () => {
    if (!mayRaiseNice()) {
      // Without the privilege the request is refused and nothing changes.
      priority = raiseEventLoopPriority(-5);
      expect(priority.outcome).toMatchObject({ granted: false, nice: -5, base });
      expect(os.getPriority(0)).toBe(base);
      return;
    }
    const before = await otherThreadNices();
    priority = raiseEventLoopPriority(-5);
    expect(priority.outcome).toEqual({ granted: true, nice: -5, base });
    expect(os.getPriority(0)).toBe(-5);
    // The threads that were already there keep their priority.
    for (const [tid, nice] of await otherThreadNices()) if (before.has(tid)) expect(nice).toBe(before.get(tid));

    // A thread started now inherits the raised priority until the sweep finds it.
    const thread = await startThread();
    try {
      expect(await threadNice(thread.tid)).toBe(-5);
      expect(await priority.sweep()).toBeGreaterThanOrEqual(1);
      expect(await threadNice(thread.tid)).toBe(base);
      expect(os.getPriority(0)).toBe(-5);
      // Seen once: a thread lowered on purpose later is not touched again.
      expect(await priority.sweep()).toBe(0);
    } finally {
      await thread.stop();
    }
    priority.stop();
    expect(os.getPriority(0)).toBe(base);
  });

  it('is refused, with the reason, where the privilege is missing', async () => {
    // As root: the same call in a child whose bounding set lacks CAP_SYS_NICE.
    const script = `import { raiseEventLoopPriority } from './engine/event-loop-priority.ts';
      const p = raiseEventLoopPriority(-5);
      console.log(JSON.stringify({ outcome: p.outcome, now: (await import('node:os')).default.getPriority(0) }));`;
    const argv = ['--import', 'tsx', '--input-type=module', '-e', script];
    const { stdout } = mayRaiseNice()
      ? await run('setpriv', ['--bounding-set', '-sys_nice', '--inh-caps', '-sys_nice', process.execPath, ...argv], { cwd: REPO })
      : await run(process.execPath, argv, { cwd: REPO });
    const { outcome, now } = JSON.parse(stdout) as { outcome: { granted: boolean; reason?: string; base: number }; now: number };
    expect(outcome.granted).toBe(false);
    expect(outcome.reason).toMatch(/not permitted \(needs CAP_SYS_NICE/);
    expect(now).toBe(outcome.base);
  });

  it('asks for nothing when the nice value is not above the current one, and refuses values out of range', () => {
    priority = raiseEventLoopPriority(base);
    expect(priority.outcome).toMatchObject({ granted: false, reason: `nice ${base} is not above the thread's current priority (nice ${base})` });
    expect(os.getPriority(0)).toBe(base);
    expect(() => raiseEventLoopPriority(-21)).toThrow(/nice must be a whole number from -20 to 19, got -21/);
    expect(() => raiseEventLoopPriority(-2.5)).toThrow(/got -2.5/);
  });

  it('describes the outcome in one line', () => {
    expect(describePriority({ granted: true, nice: -10, base: 0 })).toBe('event-loop thread at nice -10 (base 0)');
    expect(describePriority({ granted: false, nice: -10, base: 0, reason: 'not permitted' })).toBe('event-loop thread left at nice 0, nice -10 refused: not permitted');
  });
});
