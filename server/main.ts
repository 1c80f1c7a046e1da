// `orchestra serve` / `npm start`: everything in one process — embedded PostgreSQL when DATABASE_URL
// is not set (this process owns it), migrations, workflows, first accounts on an empty database, the
// HTTP server and the background jobs.
import { startOrchestra } from './app.js';
import { loadConfig } from './config.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import { ensureWebApp, loadWebApp } from './http/web-app.js';
import { onShutdown } from './shutdown.js';
import { Worker } from './workers/worker.entity.js';
import { createFirstAdmin, loadDemo } from '../seeds/fixtures.js';

const say = (message: string) => process.stdout.write(`${message}\n`);

export async function serve(options: { port?: number } = {}): Promise<void> {
  const config = loadConfig(process.env, options.port ? { port: options.port } : {});
  await ensureWebApp(say);
  const app = await startOrchestra({
    config,
    log: say,
    realtime: true,
    role: 'server',
    // The embedded PostgreSQL died and would not start again: exit non-zero, so a supervisor restarts us.
    onDatabaseLost: (error) => {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(1);
    },
  });
  // Shutdown is ready before anything answers: a signal from now on stops everything in order.
  let http: HttpServer | null = null;
  onShutdown(async () => {
    await http?.close();
    await app.close();
  }, say);
  if ((await app.db.orm.em.fork().count(Worker)) === 0) {
    if (config.production) {
      const password = await createFirstAdmin(app);
      say('Empty database: created the admin account "admin" with this password, shown only now:');
      say(`  ${password}`);
      say('  Sign in with it and create the accounts of your team (production mode seeds no demo accounts).');
    } else if (!config.databaseUrl) {
      const created = await loadDemo(app);
      say(`Empty demo database: loaded demo data (accounts: ${created.join(', ')}).`);
      say('  Open the worker app below and sign in as demo/demo (worker) or admin/admin (admin).');
      say('  Demo passwords are for this demo database only.');
    }
  }
  http = await startHttpServer(app, { fallback: (await loadWebApp()) ?? undefined });
  say(`Orchestra is running:`);
  say(`  Worker app    ${http.url}/`);
  say(`  GraphQL API   ${http.url}/graphql  (GraphiQL in a browser)`);
  say(`  Health        ${http.url}/healthz  ${http.url}/readyz`);
}
