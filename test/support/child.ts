// `orchestra` commands run for real, as child processes (Node + swc, as `npm start` and `npx
// orchestra` run them): start one, read what it prints, wait for a line, stop it; or run one to its end.
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../server/config.js';
import { until } from './wait.js';

export interface Child {
  proc: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Waits for a line matching the pattern; returns the match. */
  waitFor(pattern: RegExp, what?: string, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with its exit code (null when a signal ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startOrchestraCommand(args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', 'server/cli.ts', ...args], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const child: Child = {
    proc,
    output: () => output,
    async waitFor(pattern, what = String(pattern), timeoutMs = 90_000) {
      let match: RegExpMatchArray | null = null;
      await until(
        () => {
          match = pattern.exec(output);
          if (!match && proc.exitCode !== null)
            throw new Error(`the command exited (${proc.exitCode}) before ${what}:\n${output}`);
          return match !== null;
        },
        `${what}; it printed:\n${output}`,
        timeoutMs,
      );
      return match!;
    },
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
  return child;
}

/** Runs a command to its end. */
export async function runOrchestraCommand(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const child = startOrchestraCommand(args, env);
  const { code } = await child.exited;
  return { code, output: child.output() };
}
