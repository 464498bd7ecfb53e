/**
 * @module exec
 * Running a command to completion with a deadline, its output kept; the one
 * way the checks start processes.
 */
import { execFile } from 'node:child_process';

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs `file args` and resolves with its exit code and output (a timeout is exit code 124). */
export function run(file: string, args: readonly string[], { cwd, timeoutMs = 120_000, env = process.env }: RunOptions): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number' && !err.killed) return reject(err);
      resolve({ code: err ? (err.killed ? 124 : (err.code as number)) : 0, stdout, stderr });
    });
  });
}

/** Like run, but a non-zero exit is an error carrying the command and its output. */
export async function runOk(file: string, args: readonly string[], opts: RunOptions): Promise<Outcome> {
  const r = await run(file, args, opts);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} (in ${opts.cwd}) exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}
