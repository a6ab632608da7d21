import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO } from './cli';

export interface Holder {
  child: ChildProcess;
  pid: number;
  /** Everything it wrote to stdout so far. */
  output(): string;
  /** SIGTERM (a clean close) or SIGKILL (a crash); resolves once the process is gone. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

/** Starts test/support/clickhouse-holder.ts on `dataDir` and resolves once it holds the store. */
export function startHolder(dataDir: string, level: 'warn' | 'info' = 'warn'): Promise<Holder> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'test/support/clickhouse-holder.ts'), dataDir, level], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('open\n')) resolve({ child, pid: child.pid!, output: () => out, stop });
    });
    child.once('exit', (code) => reject(new Error(`the holder exited (${code}) before opening ClickHouse`)));
  });
}
