import { readFileSync } from 'node:fs';

const CAP_SYS_NICE = 23n;

/** True when this process may raise a thread's priority (CAP_SYS_NICE in its effective set). */
export function mayRaiseNice(): boolean {
  const line = readFileSync('/proc/self/status', 'latin1')
    .split('\n')
    .find((l) => l.startsWith('CapEff:'));
  return line !== undefined && ((BigInt(`0x${line.slice(7).trim()}`) >> CAP_SYS_NICE) & 1n) === 1n;
}
