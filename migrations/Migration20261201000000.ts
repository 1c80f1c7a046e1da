import { Migration } from '@mikro-orm/migrations';

// Structure: every event records who caused it (the audit trail); durable consumers keep their place
// in the stream; a worker's feedback travels with the iteration it ends.
export class Migration20261201000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "domain_event" add column "actor" text not null default 'system';`);
    this.addSql(
      `create table "event_consumer" ("name" text primary key, "tx_id" xid8 not null default '0'::xid8, "event_id" bigint not null default 0, "updated_at" timestamptz not null default now());`,
    );
    this.addSql(`alter table "iteration" add column "feedback" text null;`);
  }
}
