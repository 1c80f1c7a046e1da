import { Migration } from '@mikro-orm/migrations';

// Hardening: failed logins counted per username and per client address (throttling, shared by every
// server process), and a lease on a running machine step's attempt, so that one caught by a crash is found.
export class Migration20261201010000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "login_throttle" ("key" text primary key, "failures" int not null default 0, "window_started_at" timestamptz not null default now());`,
    );
    this.addSql(`alter table "task_assignment" add column "lease_expires_at" timestamptz null;`);
    this.addSql(
      `create index "task_assignment_lease" on "task_assignment" ("lease_expires_at") where "lease_expires_at" is not null;`,
    );
  }
}
