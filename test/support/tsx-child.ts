import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO } from './cli';

export interface TsxChild {
  child: ChildProcess;
  pid: number;
  /** The line of its stdout that said it was ready. */
  readyLine: string;
  /** Everything it wrote to stdout so far. */
  output(): string;
  /** SIGTERM (a clean close) or SIGKILL (a crash); resolves once the process is gone. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

/**
 * Runs a TypeScript file of test/support in a child node process (through tsx's loader) and
 * resolves once a line of its stdout passes `isReady` (by default its first line); rejects if
 * it exits first.
 */
export function startTsxChild(script: string, args: readonly string[], isReady: (line: string) => boolean = () => true): Promise<TsxChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'test/support', script), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    let ready = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (ready) return;
      const readyLine = out.split('\n').slice(0, -1).find(isReady);
      if (readyLine === undefined) return;
      ready = true;
      resolve({ child, pid: child.pid!, readyLine, output: () => out, stop });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it was ready`)));
  });
}
