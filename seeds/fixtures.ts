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
  journalism: [
    {
      username: 'journalism-editor',
      password: 'editor',
      firstName: 'Eda',
      lastName: 'Editor',
      certifications: [['journalism', 'editor', E]],
    },
    {
      username: 'journalism-reporter-1',
      password: 'reporter',
      firstName: 'Rae',
      lastName: 'Reporter',
      certifications: [['journalism', 'reporter', E]],
    },
    {
      username: 'journalism-reporter-2',
      password: 'reporter',
      firstName: 'Rob',
      lastName: 'Senior Reporter',
      certifications: [
        ['journalism', 'reporter', E],
        ['journalism', 'reporter', R],
      ],
    },
    {
      username: 'journalism-photographer-1',
      password: 'photographer',
      firstName: 'Pia',
      lastName: 'Photographer',
      certifications: [['journalism', 'photographer', E]],
    },
    {
      username: 'journalism-photographer-2',
      password: 'photographer',
      firstName: 'Pat',
      lastName: 'Senior Photographer',
      certifications: [
        ['journalism', 'photographer', E],
        ['journalism', 'photographer', R],
      ],
    },
    {
      username: 'journalism-copy-editor',
      password: 'copy-editor',
      firstName: 'Cory',
      lastName: 'Copy Editor',
      certifications: [['journalism', 'copy_editor', E]],
    },
  ],
};

/** Creates a fixture's accounts; accounts that exist already are left as they are. Returns the usernames created. */
export async function loadFixture(app: Orchestra, name: string): Promise<string[]> {
  const accounts = FIXTURES[name];
  if (!accounts)
    throw new Error(
      `Unknown fixture "${name}". Known: ${Object.keys(FIXTURES).join(', ')}, demo (all of them plus demo projects).`,
    );
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
  const has = (slug: string) => app.engine.catalog.versionId(slug, 'v1') !== undefined;
  if (has('simple_workflow')) {
    await app.lifecycle.createProject(SYSTEM, {
      workflowSlug: 'simple_workflow',
      versionSlug: 'v1',
      description: 'Rate an image from the sample page',
      priority: 1,
      // The sample page Orchestra serves itself (workflows/simple_workflow/public): the demo works offline.
      projectData: { url: `${app.config.publicUrl}/workflows/simple_workflow/sample.html` },
    });
  }
  if (has('journalism')) {
    await app.lifecycle.createProject(SYSTEM, {
      workflowSlug: 'journalism',
      versionSlug: 'v1',
      description: 'Local elections: who is running?',
      priority: 5,
    });
  }
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
