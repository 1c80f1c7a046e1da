// `orchestra` — the command line: serve, run machine steps, migrate, seed, and a few admin chores.
// Exit codes: 0 done, 1 the command failed (message on stderr), 2 the command was misused.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { startOrchestra, type Orchestra } from './app.js';
import { onShutdown } from './shutdown.js';
import { loadConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { SYSTEM } from './kernel/actor.js';
import { OrchestraError } from './kernel/errors.js';
import { CertificationRole, TaskClass } from './kernel/status.js';
import { loadRegistry } from './workflow/loader.js';
import { loadDemo, loadFixture, loadSampleData } from '../seeds/fixtures.js';
import { openStepsReport } from './demo/report.js';

const say = (message: string) => process.stdout.write(`${message}\n`);

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number.');
  return n;
};

const integer = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be a whole number.');
  return n;
};

const jsonObject = (value: string): Record<string, never> => {
  try {
    const parsed = JSON.parse(value);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch {
    /* falls through */
  }
  throw new InvalidArgumentError('must be a JSON object, e.g. \'{"url": "https://example.org"}\'.');
};

/** Runs a command with Orchestra started (no background jobs), closing it afterwards. */
async function withOrchestra<T>(fn: (app: Orchestra) => Promise<T>): Promise<T> {
  const app = await startOrchestra({ jobs: false });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

export function buildCli(): Command {
  const program = new Command('orchestra')
    .description('Orchestra: workflows of human experts and machines.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('Run the server: GraphQL API, GraphiQL, machine steps (and demo data on an empty embedded database).')
    .option('-p, --port <port>', 'port to listen on (default: $PORT or 4000)', positiveInt)
    .action(async (opts: { port?: number }) => {
      const { serve } = await import('./main.js');
      await serve({ port: opts.port });
    });

  program
    .command('worker')
    .description('Run background jobs only: machine steps and event consumers (scale out by starting several).')
    .action(async () => {
      const app = await startOrchestra({ jobs: true, log: say });
      say('Orchestra worker running (machine steps, event consumers). Ctrl-C stops it.');
      onShutdown(() => app.close(), say);
      await new Promise(() => {}); // runs until a signal stops it
    });

  program
    .command('migrate')
    .description('Apply database migrations.')
    .action(async () => {
      const db = await openDatabase(loadConfig());
      await db.close();
      say('Database is up to date.');
    });

  program
    .command('seed <fixture>')
    .description('Load demo accounts: demo_admin, demo_worker, journalism, or demo (all of them plus demo projects).')
    .action(async (fixture: string) => {
      const created = await withOrchestra((app) => (fixture === 'demo' ? loadDemo(app) : loadFixture(app, fixture)));
      say(created.length ? `Created: ${created.join(', ')}` : 'Nothing to do: those accounts exist already.');
    });

  const workflows = program.command('workflows').description('Workflows defined in workflows/.');
  workflows
    .command('list')
    .description('List workflows, versions and steps.')
    .action(async () => {
      const registry = await loadRegistry(loadConfig().workflowsDir);
      for (const wf of registry.workflows()) {
        say(`${wf.slug} — ${wf.name}`);
        for (const v of wf.versions) {
          say(`  ${v.slug} — ${v.name}`);
          for (const slug of v.listingOrder) {
            const s = v.step(slug)!;
            say(`    ${s.slug} (${s.kind})${s.creationDependsOn.length ? ` ← ${s.creationDependsOn.join(', ')}` : ''}`);
          }
        }
      }
    });
  workflows
    .command('sample-data <slug>')
    .description("Load a workflow's sample data: its accounts (demo passwords) and a project to try it with.")
    .action(async (slug: string) => {
      const { accounts, projects } = await withOrchestra((app) => loadSampleData(app, slug));
      say(accounts.length ? `Accounts created: ${accounts.join(', ')}` : 'Accounts: all there already.');
      say(projects.length ? `Projects created: ${projects.join(', ')}` : 'No sample projects.');
    });
  workflows
    .command('validate')
    .description('Check every workflow definition; lists every problem with its path.')
    .action(async () => {
      const registry = await loadRegistry(loadConfig().workflowsDir);
      say(`OK: ${registry.workflows().length} workflow(s) valid.`);
    });

  const workers = program.command('workers').description('Worker accounts.');
  workers
    .command('create <username>')
    .description('Create a worker.')
    .option('--password <password>', 'password (at least 8 characters) to log in with')
    .option('--admin', 'make the worker a project admin', false)
    .option('--first-name <name>', 'first name', '')
    .option('--last-name <name>', 'last name', '')
    .option('--email <email>', 'email address', '')
    .action(
      async (
        username: string,
        opts: { password?: string; admin: boolean; firstName: string; lastName: string; email: string },
      ) => {
        if (opts.password !== undefined && opts.password.length < 8)
          throw new InvalidArgumentError('--password must have at least 8 characters.');
        const worker = await withOrchestra(async (app) =>
          app.workers.createWorker(SYSTEM, {
            username,
            isAdmin: opts.admin,
            firstName: opts.firstName,
            lastName: opts.lastName,
            email: opts.email,
            password: opts.password ?? null,
          }),
        );
        say(`Created worker ${worker.username} (id ${worker.id})${opts.admin ? ' as admin' : ''}.`);
      },
    );
  workers
    .command('certify <username> <workflow> <certification>')
    .description('Grant a certification (entry level unless --reviewer).')
    .option('--reviewer', 'grant the REVIEWER role (needs the entry-level one)', false)
    .option('--training', 'for TRAINING work instead of REAL', false)
    .action(
      async (
        username: string,
        workflow: string,
        certification: string,
        opts: { reviewer: boolean; training: boolean },
      ) => {
        await withOrchestra(async (app) => {
          await app.workers.grantCertification(SYSTEM, {
            username,
            workflowSlug: workflow,
            certificationSlug: certification,
            role: opts.reviewer ? CertificationRole.REVIEWER : CertificationRole.ENTRY_LEVEL,
            taskClass: opts.training ? TaskClass.TRAINING : TaskClass.REAL,
          });
        });
        say(
          `${username} is certified: ${workflow}/${certification} ${opts.reviewer ? 'REVIEWER' : 'ENTRY_LEVEL'} ${opts.training ? 'TRAINING' : 'REAL'}.`,
        );
      },
    );

  const projects = program.command('projects').description('Projects.');
  projects
    .command('create <workflow> <version>')
    .description('Create a project; prints its id.')
    .requiredOption('-d, --description <text>', 'short description')
    .option('--priority <n>', 'priority (higher first)', integer, 0)
    .option('--data <json>', 'project data as a JSON object', jsonObject, {})
    .option('--training', 'a TRAINING project', false)
    .option('--slack-webhook <url>', "the project's own Slack incoming webhook for its notifications")
    .action(
      async (
        workflow: string,
        version: string,
        opts: {
          description: string;
          priority: number;
          data: Record<string, never>;
          training: boolean;
          slackWebhook?: string;
        },
      ) => {
        const project = await withOrchestra((app) =>
          app.lifecycle.createProject(SYSTEM, {
            workflowSlug: workflow,
            versionSlug: version,
            description: opts.description,
            priority: opts.priority,
            projectData: opts.data,
            taskClass: opts.training ? TaskClass.TRAINING : TaskClass.REAL,
            slackWebhookUrl: opts.slackWebhook ?? null,
          }),
        );
        say(String(project.id));
      },
    );
  projects
    .command('info')
    .argument('<id>', 'project id', positiveInt)
    .description('Show a project with its tasks and assignments (JSON).')
    .action(async (projectId: number) => {
      const info = await withOrchestra((app) => app.reads.projects.summary(SYSTEM, app.reads.reader(), projectId));
      say(JSON.stringify(info, null, 2));
    });
  projects
    .command('end')
    .argument('<id>', 'project id', positiveInt)
    .description('End (abort) a project.')
    .action(async (id: number) => {
      await withOrchestra((app) => app.lifecycle.endProject(SYSTEM, id));
      say(`Project ${id} ended.`);
    });

  projects
    .command('output')
    .argument('<id>', 'project id', positiveInt)
    .description("A finished project's output JSON; for one still running, which steps are open and who holds them.")
    .action(async (id: number) => {
      const { output, summary } = await withOrchestra(async (app) => ({
        output: await app.reads.projects.output(SYSTEM, app.reads.reader(), id),
        summary: await app.reads.projects.summary(SYSTEM, app.reads.reader(), id),
      }));
      if (output) {
        say(JSON.stringify(output, null, 2));
        return;
      }
      say(openStepsReport(summary));
      process.exitCode = 1;
    });

  const keys = program.command('keys').description("Integrators' API keys.");
  keys
    .command('create <name>')
    .description('Create an API key; prints its secrets, shown only now.')
    .action(async (name: string) => {
      const { apiKey, secret, keyId, signingSecret } = await withOrchestra((app) =>
        app.auth.createApiKey(SYSTEM, name),
      );
      say(`Created API key ${apiKey.id} "${apiKey.name}". Its secrets are shown only now: keep them safe.`);
      say('');
      say(`  GraphQL API:       ${secret}`);
      say('                     send it as `X-Api-Key: <secret>` or `Authorization: Bearer <secret>`');
      say(`  Signed client API: key id ${keyId}`);
      say(`                     secret ${signingSecret}`);
      say('                     sign as the original client did (HTTP Signatures, hmac-sha256, X-Api-Key: <key id>)');
      say('');
      say('The demos read the GraphQL secret from $ORCHESTRA_API_KEY.');
    });
  keys
    .command('list')
    .description('List API keys (never their secrets).')
    .action(async () => {
      const list = await withOrchestra((app) => app.auth.listApiKeys(SYSTEM));
      for (const k of list) {
        say(
          `${k.id}\t${k.prefix}…\t${k.keyId}\t${k.name}\t${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'}`,
        );
      }
    });
  keys
    .command('revoke')
    .argument('<id>', 'key id', positiveInt)
    .description('Revoke an API key: requests made with it fail from now on.')
    .action(async (id: number) => {
      const key = await withOrchestra((app) => app.auth.revokeApiKey(SYSTEM, id));
      say(`Revoked API key ${key.id} "${key.name}".`);
    });

  const demo = program
    .command('demo')
    .description('Walk through the example workflows over the API of a running server.');
  demo
    .command('simple')
    .description('The simple workflow: create a project, watch the machine step, rate the image, print the result.')
    .option('--server <url>', 'the running server (default: $ORCHESTRA_SERVER or http://127.0.0.1:$PORT)')
    .option('--key <secret>', 'an API key (default: $ORCHESTRA_API_KEY; `orchestra keys create demo` makes one)')
    .option('--url <page>', 'the page to pick an image from (default: the sample page Orchestra serves)')
    .option('--seed <n>', 'pick the same image every time', integer)
    .option('--auto', 'rate the image as demo/demo instead of waiting for you', false)
    .action(async (opts: { server?: string; key?: string; url?: string; seed?: number; auto: boolean }) => {
      const { simpleDemo } = await import('./demo/simple.js');
      await simpleDemo({ ...demoTarget(opts), url: opts.url, seed: opts.seed, auto: opts.auto }, say);
    });
  demo
    .command('journalism')
    .description('The newsroom: --new creates a project; --finish -p <id> prints its output, or what it waits for.')
    .option('--server <url>', 'the running server (default: $ORCHESTRA_SERVER or http://127.0.0.1:$PORT)')
    .option('--key <secret>', 'an API key (default: $ORCHESTRA_API_KEY; `orchestra keys create demo` makes one)')
    .option('--new', 'create a project and print its id and information', false)
    .option('--finish', "print a project's output JSON (with -p)", false)
    .option('-p, --project <id>', 'the project (with --finish)', positiveInt)
    .option('--title <text>', 'the story (with --new)', 'Local elections: who is running?')
    .action(
      async (opts: {
        server?: string;
        key?: string;
        new: boolean;
        finish: boolean;
        project?: number;
        title: string;
      }) => {
        if (opts.new === opts.finish) throw new InvalidArgumentError('say --new, or --finish -p <project id>.');
        if (opts.finish && !opts.project) throw new InvalidArgumentError('--finish needs the project: -p <id>.');
        const { journalismFinish, journalismNew } = await import('./demo/journalism.js');
        const target = demoTarget(opts);
        if (opts.new) await journalismNew({ ...target, title: opts.title }, say);
        else if (!(await journalismFinish({ ...target, projectId: opts.project! }, say))) process.exitCode = 1;
      },
    );

  return program;
}

/** Which server and key a demo talks to: options, then the environment. */
function demoTarget(opts: { server?: string; key?: string }): { server: string; apiKey: string } {
  const server = (
    opts.server ??
    process.env.ORCHESTRA_SERVER ??
    `http://127.0.0.1:${process.env.PORT ?? 4000}`
  ).replace(/\/+$/, '');
  const apiKey = opts.key ?? process.env.ORCHESTRA_API_KEY;
  if (!apiKey) {
    throw new InvalidArgumentError(
      'a demo needs an API key: create one with `orchestra keys create demo`, then pass it with --key or $ORCHESTRA_API_KEY.',
    );
  }
  return { server, apiKey };
}

export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv);
    return 0;
  } catch (error) {
    // First: an InvalidArgumentError is a CommanderError too, but one thrown by an action (commander
    // prints the message of those it throws while parsing, this one is not printed yet).
    if (error instanceof InvalidArgumentError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    if (error instanceof CommanderError) {
      // --help and --version end here too, with code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(
      `error: ${error instanceof OrchestraError || error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}

/** Runs the CLI as the process's command (this file run directly, or bin/orchestra.js). */
export async function main(argv: string[] = process.argv): Promise<void> {
  const code = await runCli(argv);
  // A failure exits now: with the embedded PostgreSQL loaded, its exit hook ends the process with
  // code 0 once the event loop is empty, whatever process.exitCode says.
  if (code !== 0) process.exit(code);
}

// Run when executed directly (not when imported by tests).
if (import.meta.url === `file://${process.argv[1]}`) await main();
