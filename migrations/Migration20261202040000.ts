import { Migration } from '@mikro-orm/migrations';

// Fewer indexes to keep up on every write. A claim, a submission and a completion each change a task's
// status (an update that is never HOT, so every index of `task` gets a new entry), and every use case
// inserts its events. Four indexes nothing reads any more: `task_status_index` (status alone: every read
// of tasks by status also names a project, a step or a worker) and `task_claimable_index` (the pool and
// the counts read `task_waiting_order` and `task_claimable_count`), and on the outbox
// `domain_event_project_id_index` and `domain_event_task_id_index`, each the first column of
// `domain_event_project_order` / `domain_event_task_order`, which serve the same lookups.
export class Migration20261202040000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop index if exists "task_status_index";`);
    this.addSql(`drop index if exists "task_claimable_index";`);
    this.addSql(`drop index if exists "domain_event_project_id_index";`);
    this.addSql(`drop index if exists "domain_event_task_id_index";`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index "task_status_index" on "task" ("status");`);
    this.addSql(`create index "task_claimable_index" on "task" ("status", "project_id") where "status" in (0, 2);`);
    this.addSql(`create index "domain_event_project_id_index" on "domain_event" ("project_id");`);
    this.addSql(`create index "domain_event_task_id_index" on "domain_event" ("task_id");`);
  }
}
