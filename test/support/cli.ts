// Runs the `orchestra` command line for real: a child process (Node + swc, as `npm run orchestra`
// runs it) to its end, with what it printed and its exit code.
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../server/config.js';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCommand(
  args: string[],
  env: NodeJS.ProcessEnv,
  entry = ['--import', '@swc-node/register/esm-register', 'server/cli.ts'],
  cwd = PROJECT_ROOT,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...entry, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.once('error', reject);
    proc.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
