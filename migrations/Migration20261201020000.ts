import { Migration } from '@mikro-orm/migrations';

// The worker app: a task's last change, shown on dashboards ("changed 5 minutes ago").
export class Migration20261201020000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "task" add column "updated_at" timestamptz not null default now();`);
    this.addSql(`update "task" set "updated_at" = "start_datetime";`);
  }
}
