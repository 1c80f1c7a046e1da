// Crash test: clients run lifecycle mutations and machine steps run while the server is killed with
// SIGKILL and started again, over and over. Afterwards every acknowledged mutation must be in the
// database, none half applied, and every machine step must have finished. Prints the counts.
//
//   node --import @swc-node/register/esm-register bench/crash.ts [--kills 6] [--clients 6] [--every-ms 2500]
//
// Its own embedded PostgreSQL (data in .data/bench-crash), a fresh database each run; the server is
// `orchestra serve` as a child process, with the jobs in it (so kills land in machine steps too).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startOrchestra } from '../server/app.js';
import { loadConfig, PROJECT_ROOT } from '../server/config.js';
import { ensureDatabase, startEmbeddedPostgres } from '../server/db/embedded.js';
import { SYSTEM } from '../server/kernel/actor.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '6' },
    clients: { type: 'string', default: '6' },
    'every-ms': { type: 'string', default: '2500' },
  },
});
const KILLS = Number(values.kills);
const CLIENTS = Number(values.clients);
const EVERY_MS = Number(values['every-ms']);
const PORT = 54371;
const HTTP_PORT = 4091;
const PASSWORD = 'crash test password';
const WORKFLOWS = path.join(PROJECT_ROOT, 'bench', 'workflows');
const URL_ = `http://127.0.0.1:${HTTP_PORT}`;

const pgServer = await startEmbeddedPostgres(path.join(PROJECT_ROOT, '.data', 'bench-crash', 'pg'), PORT);
const admin = new pg.Client({ connectionString: pgServer.url('postgres') });
await admin.connect();
await admin.query('drop database if exists orchestra_crash with (force)');
await admin.end();
await ensureDatabase(pgServer.url('postgres'), 'orchestra_crash');
const databaseUrl = pgServer.url('orchestra_crash');
const db = new pg.Pool({ connectionString: databaseUrl });

// Setup through the engine: the workers (with sessions) and an integrator key.
const setup = await startOrchestra({
  config: loadConfig({ ...process.env, DATABASE_URL: databaseUrl, ORCHESTRA_WORKFLOWS_DIR: WORKFLOWS }),
  jobs: false,
});
const tokens: string[] = [];
for (let i = 0; i < CLIENTS; i++) {
  await setup.workers.createWorker(SYSTEM, { username: `crash_${i}`, password: PASSWORD });
  tokens.push((await setup.auth.login(`crash_${i}`, PASSWORD)).token);
}
const apiKey = (await setup.auth.createApiKey(SYSTEM, 'crash')).secret;
await setup.close();

// ---- the server, killed and started again --------------------------------------------------------
let server: ChildProcess | null = null;
async function startServer(): Promise<void> {
  server = spawn(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', 'server/cli.ts', 'serve', '--port', String(HTTP_PORT)],
    {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        ORCHESTRA_WORKFLOWS_DIR: WORKFLOWS,
        ORCHESTRA_MACHINE_LEASE_MS: '1000',
        ORCHESTRA_MACHINE_RETRY_BASE_MS: '100',
        NODE_ENV: 'test',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  for (let i = 0; i < 600; i++) {
    if ((await fetch(`${URL_}/readyz`).catch(() => null))?.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the server did not start');
}

// ---- clients: create, claim, save, submit; what was acknowledged is recorded ---------------------
interface Acks {
  created: number[];
  claimed: { taskId: number; worker: string }[];
  saved: { taskId: number; value: number }[];
  submitted: number[];
}
const acks: Acks = { created: [], claimed: [], saved: [], submitted: [] };
let unacknowledged = 0;
let running = true;

async function gql(
  query: string,
  variables: Record<string, unknown>,
  auth: Record<string, string>,
): Promise<any | null> {
  try {
    const res = await fetch(`${URL_}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    if (res.status === 200 && body.data && !body.errors) return body.data;
    unacknowledged++;
    return null;
  } catch {
    unacknowledged++; // the server died under the request: not acknowledged, may or may not have happened
    await new Promise((r) => setTimeout(r, 100)); // and is starting again: no need to hammer it
    return null;
  }
}

async function client(i: number): Promise<void> {
  const auth = { authorization: `Bearer ${tokens[i]}` };
  let n = 0;
  while (running) {
    const created = await gql(
      'mutation { createProject(input: { workflowSlug: "crash", versionSlug: "v1", description: "crash" }) { project { id } } }',
      {},
      { 'x-api-key': apiKey },
    );
    if (created) acks.created.push(Number(created.createProject.project.id));
    const got = await gql('mutation { requestTask(input: { role: ENTRY_LEVEL }) { task { id } } }', {}, auth);
    const taskId = got?.requestTask.task ? Number(got.requestTask.task.id) : null;
    if (!taskId) continue;
    acks.claimed.push({ taskId, worker: `crash_${i}` });
    const value = ++n;
    if (
      await gql(
        'mutation($t: ID!, $v: Int!) { saveTask(input: { taskId: $t, data: { value: $v } }) { assignment { id } } }',
        { t: taskId, v: value },
        auth,
      )
    )
      acks.saved.push({ taskId, value });
    // A submission the server did not acknowledge is tried again until one is (or the task is past it).
    for (let tries = 0; tries < 20 && running; tries++) {
      const done = await gql(
        'mutation($t: ID!, $v: Int!) { submitTask(input: { taskId: $t, data: { value: $v }, action: SUBMIT }) { task { status } } }',
        { t: taskId, v: value },
        auth,
      );
      if (done) {
        acks.submitted.push(taskId);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

await startServer();
const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));
let kills = 0;
for (; kills < KILLS; kills++) {
  await new Promise((r) => setTimeout(r, EVERY_MS * (0.6 + Math.random() * 0.8)));
  server!.kill('SIGKILL');
  await new Promise((r) => server!.once('exit', r));
  await new Promise((r) => setTimeout(r, 300));
  await startServer();
}
await new Promise((r) => setTimeout(r, EVERY_MS));
running = false;
await Promise.all(clients);

// Every machine step finishes: wait for the last ones (recovered ones need their lease to run out).
const deadline = Date.now() + 60_000;
while (Date.now() < deadline) {
  const open = Number(
    (
      await db.query(
        `select count(*) as n from task t join step s on s.id = t.step_id where not s.is_human and t.status <> 5`,
      )
    ).rows[0].n,
  );
  if (open === 0) break;
  await new Promise((r) => setTimeout(r, 500));
}
server!.kill('SIGTERM');
await new Promise((r) => server!.once('exit', r));

// ---- the checks ----------------------------------------------------------------------------------
const problems: string[] = [];
const one = async (sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows;
const projects = new Set((await one('select id from project')).map((r) => r.id as number));
for (const id of acks.created) if (!projects.has(id)) problems.push(`acknowledged project ${id} is missing`);
for (const { taskId, worker } of acks.claimed) {
  const rows = await one(
    'select 1 from task_assignment a join worker w on w.id = a.worker_id where a.task_id = $1 and w.username = $2 and not a.is_deleted',
    [taskId, worker],
  );
  if (rows.length !== 1) problems.push(`acknowledged claim of task ${taskId} by ${worker} is missing`);
}
for (const { taskId, value } of acks.saved) {
  const [a] = await one('select data from task_assignment where task_id = $1 and level = 0 and not is_deleted', [
    taskId,
  ]);
  if (!a || (a.data as { value?: number }).value === undefined || (a.data as { value: number }).value < value)
    problems.push(`acknowledged save ${value} of task ${taskId} is missing`);
}
for (const taskId of acks.submitted) {
  const [t] = await one('select status from task where id = $1', [taskId]);
  if (t?.status !== 5) problems.push(`acknowledged submit of task ${taskId}: the task is ${t?.status}, not COMPLETE`);
}
// Half-applied changes: a task's status must match its assignments and iterations; a completed human
// task has its machine step; a completed task has its completion event.
const tasks = await one(
  `select t.id, t.status, t.project_id, s.slug, s.is_human from task t join step s on s.id = t.step_id`,
);
for (const t of tasks) {
  const assignments = await one('select status from task_assignment where task_id = $1 and not is_deleted', [t.id]);
  const openIterations = Number(
    (
      await one(
        'select count(*) as n from iteration i join task_assignment a on a.id = i.assignment_id where a.task_id = $1 and i.end_datetime is null and not i.is_deleted',
        [t.id],
      )
    )[0]!.n,
  );
  if (t.status === 5) {
    if (!assignments.every((a) => a.status === 1))
      problems.push(`task ${t.id} is COMPLETE with an assignment not SUBMITTED`);
    if (openIterations) problems.push(`task ${t.id} is COMPLETE with an open iteration`);
    if (!(await one(`select 1 from domain_event where task_id = $1 and type = 'task.completed'`, [t.id])).length)
      problems.push(`task ${t.id} is COMPLETE without its event`);
    if (t.is_human && !tasks.some((m) => m.project_id === t.project_id && m.slug === 'process'))
      problems.push(`task ${t.id} is COMPLETE but its machine step was never created`);
  } else if (t.status === 1) {
    if (assignments.filter((a) => a.status === 0).length !== 1 || openIterations !== 1)
      problems.push(`task ${t.id} is PROCESSING without exactly one live assignment and iteration`);
  } else if (t.status === 0 && assignments.length)
    problems.push(`task ${t.id} is AWAITING_PROCESSING with assignments`);
}
const machine = await one(
  `select count(*) filter (where t.status = 5) as done, count(*) as all from task t join step s on s.id = t.step_id where not s.is_human`,
);
const recovered = Number(
  (
    await one(
      `select count(*) as n from domain_event where type = 'machine.retry_scheduled' and payload->>'error' like '%lease ran out%'`,
    )
  )[0]!.n,
);
const interrupted = Number(
  (
    await one(
      `select count(*) as n from domain_event where type = 'machine.retry_scheduled' and payload->>'error' like '%interrupted%'`,
    )
  )[0]!.n,
);

console.log(`crash test: ${kills} SIGKILLs of the server, ${CLIENTS} clients`);
console.log(
  `  acknowledged: ${acks.created.length} projects created, ${acks.claimed.length} claims, ${acks.saved.length} saves, ${acks.submitted.length} submits; ${unacknowledged} requests unanswered or refused`,
);
console.log(
  `  machine steps: ${machine[0]!.done} of ${machine[0]!.all} finished; ${recovered} attempts recovered after their lease ran out, ${interrupted} interrupted by a shutdown`,
);
console.log(`  problems: ${problems.length}`);
for (const p of problems.slice(0, 20)) console.log(`    ${p}`);
await db.end();
await pgServer.stop();
process.exit(problems.length || Number(machine[0]!.done) !== Number(machine[0]!.all) ? 1 : 0);
