// A Reader is one unit of reading: a fork of the ORM's identity map and one set of DataLoaders,
// made per request (or per batch of events) by whichever door reads. Everything that follows a
// relation batches through it, so reading 300 rows costs the statements that reading 3 does. It is
// the batched reader that read use cases and access checks take; doors never see its SQL.
import DataLoader from 'dataloader';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Catalog } from '../catalog/catalog.js';
import { Certification, Step, Workflow, WorkflowVersion } from '../catalog/catalog.entity.js';
import { Project } from '../projects/project.entity.js';
import { Iteration, Task, TaskAssignment } from '../tasks/task.entity.js';
import { Worker, WorkerCertification } from '../workers/worker.entity.js';

function byId<T extends { id: number }>(em: EntityManager, entity: new (...args: never[]) => T) {
  return new DataLoader<number, T | null>(async (ids) => {
    const rows = await em.find(entity as never, { id: { $in: [...ids] } } as never);
    const map = new Map((rows as T[]).map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

function groupBy<K, T>(keys: readonly K[], rows: T[], keyOf: (row: T) => K): T[][] {
  const map = new Map<K, T[]>(keys.map((k) => [k, []]));
  for (const row of rows) map.get(keyOf(row))?.push(row);
  return keys.map((k) => map.get(k)!);
}

function createLoaders(em: EntityManager) {
  // Rows loaded through a relation also fill the by-id loaders (e.g. an iteration's assignment).
  const task = byId(em, Task);
  const assignment = byId(em, TaskAssignment);
  const primed = <T extends { id: number }>(loader: DataLoader<number, T | null>, rows: T[]): T[] => {
    for (const row of rows) loader.prime(row.id, row);
    return rows;
  };
  return {
    project: byId(em, Project),
    task,
    worker: byId(em, Worker),
    workerByUsername: new DataLoader<string, Worker | null>(async (names) => {
      const rows = await em.find(Worker, { username: { $in: [...names] } });
      return names.map((n) => rows.find((w) => w.username === n) ?? null);
    }),
    assignment,
    certification: byId(em, Certification),
    step: byId(em, Step),
    version: byId(em, WorkflowVersion),
    workflow: byId(em, Workflow),
    versionsByWorkflow: new DataLoader<number, WorkflowVersion[]>(async (ids) => {
      const rows = await em.find(WorkflowVersion, { workflow: { $in: [...ids] } }, { orderBy: { id: 'asc' } });
      return groupBy(ids, rows, (v) => v.workflow.id);
    }),
    certificationsByWorkflow: new DataLoader<number, Certification[]>(async (ids) => {
      const rows = await em.find(Certification, { workflow: { $in: [...ids] } }, { orderBy: { id: 'asc' } });
      return groupBy(ids, rows, (c) => c.workflow.id);
    }),
    stepsByVersion: new DataLoader<number, Step[]>(async (ids) => {
      const rows = await em.find(Step, { version: { $in: [...ids] } }, { orderBy: { position: 'asc' } });
      return groupBy(ids, rows, (s) => s.version.id);
    }),
    /** Live assignments of tasks, by level. */
    assignmentsByTask: new DataLoader<number, TaskAssignment[]>(async (taskIds) => {
      const rows = primed(
        assignment,
        await em.find(TaskAssignment, { task: { $in: [...taskIds] } }, { orderBy: { level: 'asc' } }),
      );
      return groupBy(taskIds, rows, (a) => a.task.id);
    }),
    /** Live iterations of assignments, oldest first. */
    iterationsByAssignment: new DataLoader<number, Iteration[]>(async (assignmentIds) => {
      const rows = await em.find(
        Iteration,
        { assignment: { $in: [...assignmentIds] } },
        { orderBy: { startDatetime: 'asc', id: 'asc' } },
      );
      return groupBy(assignmentIds, rows, (i) => i.assignment.id);
    }),
    tasksByProject: new DataLoader<number, Task[]>(async (projectIds) => {
      const rows = primed(task, await em.find(Task, { project: { $in: [...projectIds] } }, { orderBy: { id: 'asc' } }));
      return groupBy(projectIds, rows, (t) => t.project.id);
    }),
    certificationsByWorker: new DataLoader<number, WorkerCertification[]>(async (workerIds) => {
      const rows = await em.find(WorkerCertification, { worker: { $in: [...workerIds] } }, { orderBy: { id: 'asc' } });
      return groupBy(workerIds, rows, (c) => c.worker.id);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

export class Reader {
  // Made on first use: most mutations answer from what their use case returned and read nothing here.
  private current: { em: EntityManager; loaders: Loaders } | null = null;
  /** Per-reader memo of batch loaders that read use cases build (e.g. the dashboard's groups). */
  readonly memo = new Map<string, unknown>();

  constructor(
    private readonly orm: MikroORM,
    readonly catalog: Catalog,
  ) {}

  private get state(): { em: EntityManager; loaders: Loaders } {
    if (!this.current) {
      const em = this.orm.em.fork() as EntityManager;
      this.current = { em, loaders: createLoaders(em) };
    }
    return this.current;
  }

  /** @internal for read use cases: the unit of work reads go through. */
  get em(): EntityManager {
    return this.state.em;
  }

  get load(): Loaders {
    return this.state.loaders;
  }

  /** Forget everything read so far: what is read next shows the state after a write. */
  forget(): void {
    this.current = null;
    this.memo.clear();
  }

  /** Memoised per reader: `key` names what `make` builds. */
  memoise<T>(key: string, make: () => T): T {
    if (!this.memo.has(key)) this.memo.set(key, make());
    return this.memo.get(key) as T;
  }
}
