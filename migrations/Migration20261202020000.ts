import { Migration } from '@mikro-orm/migrations';

// The pool in index order. requestTask takes the best waiting task — project priority first, then the
// oldest project, the oldest task — and those keys lived on the project: finding the best task meant
// walking projects and probing their tasks, taken ones included. Each task now carries its project's
// priority and start (copied by triggers, so every writer keeps them right), and one partial index holds
// exactly the waiting tasks in pool order: the query reads the first rows of it and stops.
export class Migration20261202020000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "task" add column "priority" int not null default 0, add column "project_start" timestamptz null;`,
    );
    this.addSql(
      `update "task" t set "priority" = p."priority", "project_start" = p."start_datetime" from "project" p where p."id" = t."project_id";`,
    );
    this.addSql(`alter table "task" alter column "project_start" set not null;`);
    this.addSql(`create function task_copy_project_order() returns trigger language plpgsql as $$
      begin
        select p.priority, p.start_datetime into new.priority, new.project_start from project p where p.id = new.project_id;
        return new;
      end $$;`);
    this.addSql(`create trigger task_project_order before insert or update of project_id on "task"
      for each row execute function task_copy_project_order();`);
    this.addSql(`create function project_order_to_tasks() returns trigger language plpgsql as $$
      begin
        update task set priority = new.priority, project_start = new.start_datetime where project_id = new.id;
        return null;
      end $$;`);
    this.addSql(`create trigger project_order after update of "priority", "start_datetime" on "project"
      for each row when (old.priority is distinct from new.priority or old.start_datetime is distinct from new.start_datetime)
      execute function project_order_to_tasks();`);
    this.addSql(
      `create index "task_waiting_order" on "task" ("priority" desc, "project_start", "start_datetime", "id") where "status" in (0, 2);`,
    );
  }
}
