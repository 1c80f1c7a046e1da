// Demo accounts and data (the original's fixtures). The passwords are for demo databases only.
import type { Orchestra } from '../server/app.js';
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../server/auth/passwords.js';
import { SYSTEM } from '../server/kernel/actor.js';
import { CertificationRole, TaskClass } from '../server/kernel/status.js';
import { Worker } from '../server/workers/worker.entity.js';

interface Account {
  username: string;
  password: string;
  firstName: string;
  lastName: string;
  isAdmin?: boolean;
  certifications?: [workflow: string, certification: string, role: CertificationRole][];
}

const E = CertificationRole.ENTRY_LEVEL;
const R = CertificationRole.REVIEWER;

export const FIXTURES: Record<string, Account[]> = {
  demo_admin: [{ username: 'admin', password: 'admin', firstName: 'Demo', lastName: 'Admin', isAdmin: true }],
  demo_worker: [{ username: 'demo', password: 'demo', firstName: 'Demo', lastName: 'Worker' }],
};

/**
 * Creates a fixture's accounts — `demo_admin`, `demo_worker`, or a workflow's sample accounts by its
 * slug; accounts that exist already are left as they are. Returns the usernames created.
 */
export async function loadFixture(app: Orchestra, name: string): Promise<string[]> {
  const accounts = FIXTURES[name] ?? sampleAccounts(app, name);
  if (!accounts) {
    const known = [...Object.keys(FIXTURES), ...app.registry.workflows().map((w) => w.slug)];
    throw new Error(`Unknown fixture "${name}". Known: ${known.join(', ')}, demo (all of them plus demo projects).`);
  }
  return createAccounts(app, accounts);
}

/** A workflow's sample accounts, as fixture accounts (null: no such workflow). */
function sampleAccounts(app: Orchestra, slug: string): Account[] | null {
  const workflow = app.registry.workflow(slug);
  if (!workflow) return null;
  return (workflow.definition.sampleData?.accounts ?? []).map((a) => ({
    username: a.username,
    password: a.password,
    firstName: a.firstName ?? '',
    lastName: a.lastName ?? '',
    certifications: (a.certifications ?? []).flatMap(([certification, role]): [string, string, CertificationRole][] =>
      role === 'REVIEWER'
        ? [
            [slug, certification, E],
            [slug, certification, R],
          ]
        : [[slug, certification, E]],
    ),
  }));
}

/**
 * `orchestra workflows sample-data <slug>`: the workflow's sample accounts and projects. Returns the
 * accounts created and the ids of the projects.
 */
export async function loadSampleData(
  app: Orchestra,
  slug: string,
): Promise<{ accounts: string[]; projects: number[] }> {
  const workflow = app.registry.workflow(slug);
  if (!workflow)
    throw new Error(
      `Unknown workflow "${slug}". Known: ${app.registry
        .workflows()
        .map((w) => w.slug)
        .join(', ')}.`,
    );
  const accounts = await createAccounts(app, sampleAccounts(app, slug)!);
  const projects: number[] = [];
  for (const p of workflow.definition.sampleData?.projects?.(app.config.publicUrl) ?? []) {
    const project = await app.lifecycle.createProject(SYSTEM, {
      workflowSlug: slug,
      versionSlug: p.version ?? workflow.versions[0]!.slug,
      description: p.description,
      priority: p.priority ?? 0,
      projectData: p.projectData ?? {},
    });
    projects.push(project.id);
  }
  return { accounts, projects };
}

async function createAccounts(app: Orchestra, accounts: Account[]): Promise<string[]> {
  const created: string[] = [];
  for (const account of accounts) {
    if (await app.db.orm.em.fork().count(Worker, { username: account.username })) continue;
    const worker = await app.workers.createWorker(SYSTEM, {
      username: account.username,
      firstName: account.firstName,
      lastName: account.lastName,
      isAdmin: account.isAdmin ?? false,
      // Demo passwords are shorter than people's passwords may be: hashed here, for demo databases only.
      passwordHash: await hashPassword(account.password),
    });
    for (const [workflowSlug, certificationSlug, role] of account.certifications ?? []) {
      await app.workers.grantCertification(SYSTEM, {
        workerId: worker.id,
        workflowSlug,
        certificationSlug,
        role,
        taskClass: TaskClass.REAL,
      });
    }
    created.push(account.username);
  }
  return created;
}

/** Everything `npm start` shows on an empty demo database: all accounts and a project of each example workflow. */
export async function loadDemo(app: Orchestra): Promise<string[]> {
  const created: string[] = [];
  for (const name of Object.keys(FIXTURES)) created.push(...(await loadFixture(app, name)));
  for (const workflow of app.registry.workflows()) created.push(...(await loadSampleData(app, workflow.slug)).accounts);
  return created;
}

/**
 * Production never seeds known passwords: an empty database gets one admin, `admin`, with a password
 * generated now and shown once. Returns that password.
 */
export async function createFirstAdmin(app: Orchestra): Promise<string> {
  const password = randomBytes(18).toString('base64url');
  await app.workers.createWorker(SYSTEM, {
    username: 'admin',
    firstName: 'First',
    lastName: 'Admin',
    isAdmin: true,
    password,
  });
  return password;
}
