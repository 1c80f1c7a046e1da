// `orchestra serve` / `npm start`: everything in one process — embedded PostgreSQL when DATABASE_URL
// is not set, migrations, workflows, demo data on an empty demo database, the HTTP server and the
// machine-step runner.
import { startOrchestra } from './app.js';
import { loadConfig } from './config.js';
import { startHttpServer } from './http/server.js';
import { onShutdown } from './shutdown.js';
import { Worker } from './workers/worker.entity.js';
import { loadDemo } from '../seeds/fixtures.js';

const say = (message: string) => process.stdout.write(`${message}\n`);

export async function serve(options: { port?: number } = {}): Promise<void> {
  const config = loadConfig(process.env, options.port ? { port: options.port } : {});
  const app = await startOrchestra({ config, log: say, realtime: true });
  if (!config.databaseUrl && (await app.db.orm.em.fork().count(Worker)) === 0) {
    const created = await loadDemo(app);
    say(`Empty demo database: loaded demo data (accounts: ${created.join(', ')}).`);
    say('  Log in as demo/demo (worker) or admin/admin (admin). Demo passwords are for this demo database only.');
  }
  const http = await startHttpServer(app);
  say(`Orchestra is running:`);
  say(`  GraphQL API   ${http.url}/graphql  (GraphiQL in a browser)`);
  say(`  Health        ${http.url}/healthz  ${http.url}/readyz`);

  onShutdown(async () => {
    await http.close();
    await app.close();
  }, say);
}
