import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const BIN = join(REPO, 'bin/tradepilot.mjs');

export async function tempDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'tp-cli-'));
}

/** Runs the CLI to completion; env is added to a minimal environment (no inherited config). */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tradepilot ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export interface RunningPlatform {
  child: ChildProcess;
  adminUrl: string;
  playgroundUrl: string | undefined;
  output: () => string;
  /** Sends the signal and resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** Starts `tradepilot start` and resolves once it printed its URLs. */
export function startCli(env: Record<string, string>, args: string[] = [], timeoutMs = 60_000): Promise<RunningPlatform> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'start', ...args], { cwd: REPO, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env } });
    let out = '';
    let settled = false;
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (!settled && out.includes('Press Ctrl+C to stop.')) {
        settled = true;
        clearTimeout(timer);
        const adminUrl = /admin API:\s+(http:\/\/\S+)/.exec(out)?.[1];
        const playgroundUrl = /playground:\s+(http:\/\/\S+)/.exec(out)?.[1];
        if (!adminUrl) return reject(new Error(`no admin URL in output:\n${out}`));
        resolvePromise({
          child,
          adminUrl,
          playgroundUrl,
          output: () => out,
          async stop(signal = 'SIGTERM') {
            const started = Date.now();
            child.kill(signal);
            const code = await exited;
            return { code, ms: Date.now() - started };
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tradepilot start did not come up in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    void exited.then((code) => {
      if (!settled) {
        clearTimeout(timer);
        reject(new Error(`tradepilot start exited with ${code} before it was ready:\n${out}`));
      }
    });
  });
}
