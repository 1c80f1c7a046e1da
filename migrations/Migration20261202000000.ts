import { Migration } from '@mikro-orm/migrations';

// Accounts and notifications: activation, Slack names, e-mail sign-in (unique when given), single-use
// link tokens, communication preferences, one delivery per event, recipient and channel, and a
// project's own Slack channel.
export class Migration20261202000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "worker" add column "slack_username" varchar(150) not null default '';`);
    this.addSql(`alter table "worker" add column "is_active" boolean not null default true;`);
    this.addSql(`create unique index "worker_email_unique" on "worker" (lower("email")) where "email" <> '';`);
    this.addSql(`alter table "project" add column "slack_webhook_url" text null;`);
    this.addSql(`create table "account_token" (
      "id" serial primary key,
      "worker_id" int not null references "worker" ("id") on delete cascade,
      "kind" varchar(20) not null,
      "token_hash" varchar(64) not null unique,
      "expires_at" timestamptz not null,
      "used_at" timestamptz null,
      "created_at" timestamptz not null default now());`);
    this.addSql(`create index "account_token_worker_id_kind_index" on "account_token" ("worker_id", "kind");`);
    this.addSql(`create table "communication_preference" (
      "id" serial primary key,
      "worker_id" int not null references "worker" ("id") on delete cascade,
      "kind" varchar(40) not null,
      "email" boolean not null,
      "slack" boolean not null,
      constraint "communication_preference_worker_id_kind_unique" unique ("worker_id", "kind"));`);
    this.addSql(`create table "notification_delivery" (
      "event_id" bigint not null,
      "worker_id" int not null,
      "channel" varchar(10) not null,
      "kind" varchar(40) not null,
      "sent_at" timestamptz not null default now(),
      primary key ("event_id", "worker_id", "channel"));`);
  }
}
