import { Migration } from '@mikro-orm/migrations';

// The initial schema: workflows, workers, projects, tasks, assignments, iterations and the outbox.
export class Migration20261127000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "domain_event" ("id" bigserial primary key, "tx_id" xid8 not null default pg_current_xact_id(), "type" varchar(64) not null, "project_id" int null, "task_id" int null, "payload" jsonb not null, "created_at" timestamptz not null default now());`,
    );
    this.addSql(`create index "domain_event_project_id_index" on "domain_event" ("project_id");`);
    this.addSql(
      `create table "worker" ("id" serial primary key, "username" varchar(150) not null, "first_name" varchar(150) not null default '', "last_name" varchar(150) not null default '', "email" varchar(254) not null default '', "is_admin" boolean not null default false, "password_hash" text null, "start_datetime" timestamptz not null);`,
    );
    this.addSql(`alter table "worker" add constraint "worker_username_unique" unique ("username");`);
    this.addSql(
      `create table "workflow" ("id" serial primary key, "slug" varchar(200) not null, "name" varchar(200) not null, "description" text not null default '', "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "workflow" add constraint "workflow_slug_unique" unique ("slug");`);
    this.addSql(
      `create table "certification" ("id" serial primary key, "workflow_id" int not null, "slug" varchar(200) not null, "name" varchar(200) not null, "description" text not null default '', "required_certification_ids" integer[] not null, "created_at" timestamptz not null);`,
    );
    this.addSql(
      `alter table "certification" add constraint "certification_workflow_id_slug_unique" unique ("workflow_id", "slug");`,
    );
    this.addSql(
      `create table "worker_certification" ("id" serial primary key, "certification_id" int not null, "worker_id" int not null, "task_class" smallint not null, "role" smallint not null, "created_at" timestamptz not null);`,
    );
    this.addSql(
      `create index "worker_certification_worker_id_role_task_class_index" on "worker_certification" ("worker_id", "role", "task_class");`,
    );
    this.addSql(
      `alter table "worker_certification" add constraint "worker_certification_certification_id_worker_id_t_47e98_unique" unique ("certification_id", "worker_id", "task_class", "role");`,
    );
    this.addSql(
      `create table "workflow_version" ("id" serial primary key, "workflow_id" int not null, "slug" varchar(200) not null, "name" varchar(200) not null, "description" text not null default '', "created_at" timestamptz not null);`,
    );
    this.addSql(
      `alter table "workflow_version" add constraint "workflow_version_workflow_id_slug_unique" unique ("workflow_id", "slug");`,
    );
    this.addSql(
      `create table "step" ("id" serial primary key, "version_id" int not null, "slug" varchar(200) not null, "name" varchar(200) not null, "description" text not null default '', "is_human" boolean not null, "position" int not null, "creation_depends_on" text[] not null, "submission_depends_on" text[] not null, "required_certification_ids" integer[] not null, "review_policy" jsonb not null, "assignment_policy" jsonb not null, "creation_policy" jsonb not null, "ui" jsonb null, "completion_ends_project" boolean not null default false, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "step" add constraint "step_version_id_slug_unique" unique ("version_id", "slug");`);
    this.addSql(
      `create table "project" ("id" serial primary key, "version_id" int not null, "status" smallint not null default 0, "short_description" text not null default '', "priority" int not null default 0, "project_data" jsonb not null, "task_class" smallint not null default 1, "scratchpad_url" text null, "start_datetime" timestamptz not null);`,
    );
    this.addSql(
      `create index "project_status_priority_start_datetime_index" on "project" ("status", "priority", "start_datetime");`,
    );
    this.addSql(
      `create table "task" ("id" serial primary key, "project_id" int not null, "step_id" int not null, "status" smallint not null default 0, "tags" jsonb not null, "start_datetime" timestamptz not null, "version" int not null default 1);`,
    );
    this.addSql(`create index "task_status_index" on "task" ("status");`);
    this.addSql(`alter table "task" add constraint "task_project_id_step_id_unique" unique ("project_id", "step_id");`);
    this.addSql(
      `create table "task_assignment" ("id" serial primary key, "task_id" int not null, "worker_id" int null, "status" smallint not null default 0, "level" int not null, "data" jsonb not null, "start_datetime" timestamptz not null, "is_deleted" boolean not null default false, "attempts" int not null default 0, "last_error" text null);`,
    );
    this.addSql(`create index "task_assignment_worker_id_status_index" on "task_assignment" ("worker_id", "status");`);
    this.addSql(
      `create table "iteration" ("id" serial primary key, "assignment_id" int not null, "status" smallint not null default 0, "start_datetime" timestamptz not null, "end_datetime" timestamptz null, "submitted_data" jsonb not null, "is_deleted" boolean not null default false);`,
    );
    this.addSql(
      `alter table "certification" add constraint "certification_workflow_id_foreign" foreign key ("workflow_id") references "workflow" ("id") on update cascade;`,
    );
    this.addSql(
      `alter table "worker_certification" add constraint "worker_certification_certification_id_foreign" foreign key ("certification_id") references "certification" ("id") on update cascade;`,
    );
    this.addSql(
      `alter table "worker_certification" add constraint "worker_certification_worker_id_foreign" foreign key ("worker_id") references "worker" ("id") on update cascade;`,
    );
    this.addSql(
      `alter table "workflow_version" add constraint "workflow_version_workflow_id_foreign" foreign key ("workflow_id") references "workflow" ("id") on update cascade;`,
    );
    this.addSql(
      `alter table "step" add constraint "step_version_id_foreign" foreign key ("version_id") references "workflow_version" ("id") on update cascade;`,
    );
    this.addSql(
      `alter table "project" add constraint "project_version_id_foreign" foreign key ("version_id") references "workflow_version" ("id") on update cascade;`,
    );
    this.addSql(
      `alter table "task" add constraint "task_project_id_foreign" foreign key ("project_id") references "project" ("id") on update cascade;`,
    );
    this.addSql(
      `alter table "task" add constraint "task_step_id_foreign" foreign key ("step_id") references "step" ("id") on update cascade;`,
    );
    this.addSql(
      `alter table "task_assignment" add constraint "task_assignment_task_id_foreign" foreign key ("task_id") references "task" ("id") on update cascade;`,
    );
    this.addSql(
      `alter table "task_assignment" add constraint "task_assignment_worker_id_foreign" foreign key ("worker_id") references "worker" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "iteration" add constraint "iteration_assignment_id_foreign" foreign key ("assignment_id") references "task_assignment" ("id") on update cascade;`,
    );
    // Lookups the engine makes on every use case (foreign keys get no index by themselves).
    this.addSql(`create index "project_version_id_index" on "project" ("version_id");`);
    this.addSql(`create index "task_step_id_index" on "task" ("step_id");`);
    this.addSql(`create index "iteration_assignment_id_index" on "iteration" ("assignment_id");`);
    this.addSql(`create index "domain_event_task_id_index" on "domain_event" ("task_id");`);
    // The pool of claimable tasks: only two statuses are ever looked up this way.
    this.addSql(`create index "task_claimable_index" on "task" ("status", "project_id") where "status" in (0, 2);`);
    // One live assignment per level of a task, and one per worker on a task (revert soft-deletes).
    this.addSql(
      `create unique index "task_assignment_task_level_live" on "task_assignment" ("task_id", "level") where not "is_deleted";`,
    );
    this.addSql(
      `create unique index "task_assignment_task_worker_live" on "task_assignment" ("task_id", "worker_id") where not "is_deleted" and "worker_id" is not null;`,
    );
  }
}
