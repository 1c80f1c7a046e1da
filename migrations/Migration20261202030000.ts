import { Migration } from '@mikro-orm/migrations';

// Counting the pool without reading it. A dashboard's "tasks you may claim" counted every waiting task
// joined to its project (is it active? training or real?): a scan of the pool, 100 ms at 100,000 waiting
// tasks, on every dashboard open and recount. Each task now also carries whether its project is active and
// the project's task class (copied by the same triggers as its priority and start), and a partial index
// holds exactly the claimable tasks by (step, status, task class): the counts are the sizes of its groups,
// read from the index alone, then matched against each worker's certifications.
export class Migration20261202030000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "task" add column "project_active" boolean not null default true, add column "project_task_class" smallint not null default 1;`,
    );
    this.addSql(
      `update "task" t set "project_active" = (p."status" = 0), "project_task_class" = p."task_class" from "project" p where p."id" = t."project_id";`,
    );
    this.addSql(`create or replace function task_copy_project_order() returns trigger language plpgsql as $$
      begin
        select p.priority, p.start_datetime, p.status = 0, p.task_class
          into new.priority, new.project_start, new.project_active, new.project_task_class
          from project p where p.id = new.project_id;
        return new;
      end $$;`);
    this.addSql(`create or replace function project_order_to_tasks() returns trigger language plpgsql as $$
      begin
        update task set priority = new.priority, project_start = new.start_datetime,
                        project_active = (new.status = 0), project_task_class = new.task_class
         where project_id = new.id;
        return null;
      end $$;`);
    this.addSql(`drop trigger project_order on "project";`);
    this.addSql(`create trigger project_order
      after update of "priority", "start_datetime", "status", "task_class" on "project"
      for each row when (old.priority is distinct from new.priority or old.start_datetime is distinct from new.start_datetime
                         or (old.status = 0) is distinct from (new.status = 0) or old.task_class is distinct from new.task_class)
      execute function project_order_to_tasks();`);
    this.addSql(
      `create index "task_claimable_count" on "task" ("step_id", "status", "project_task_class") where "status" in (0, 2) and "project_active";`,
    );
  }
}
