/** Helpers for tests that run the real `burnwatch` binary as a child process. */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/burnwatch.js', import.meta.url));

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `burnwatch ARGS` to completion (bounded by `timeoutMs`). */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Finished> {
  const child = spawnCli(args, options);
  return finished(child, options.timeoutMs ?? 30_000);
}

export function spawnCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    // Parallel test processes must not fight over the OTel metrics port (9464 by default).
    env: { OTEL_EXPORTER_PROMETHEUS_PORT: '0', ...process.env, ...options.env },
    stdio: 'pipe',
  });
}

/** Collects a child's output until it exits; kills it (and fails) after `timeoutMs`. */
export function finished(child: ChildProcessWithoutNullStreams, timeoutMs: number): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Waits until a child's output contains a line matching `pattern`; returns the match. */
export function waitForOutput(child: ChildProcessWithoutNullStreams, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      seen += d.toString();
      const m = seen.match(pattern);
      if (m) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`process exited (${code}) before printing ${pattern}\n${seen}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms\n${seen}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stderr.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', onExit);
  });
}
