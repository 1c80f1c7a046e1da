import { Migration } from '@mikro-orm/migrations';

// Integrators: a public key id and a signing secret per API key (the original's signed client API
// needs the secret itself: HMAC), webhooks and their deliveries, idempotency keys, and the indexes the
// audit trail reads by (a project's or a task's events in stream order).
export class Migration20261202010000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "api_key" add column "key_id" varchar(40) null;`);
    this.addSql(`alter table "api_key" add column "signing_secret" text null;`);
    // Keys made before: new values (their holders make a new key to sign requests: a secret is shown once).
    this.addSql(`update "api_key" set "key_id" = 'oki_' || substr(md5(random()::text || id::text), 1, 20),
      "signing_secret" = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');`);
    this.addSql(
      `alter table "api_key" alter column "key_id" set not null, alter column "signing_secret" set not null;`,
    );
    this.addSql(`alter table "api_key" add constraint "api_key_key_id_unique" unique ("key_id");`);
    this.addSql(`create table "webhook" (
      "id" serial primary key,
      "api_key_id" int null references "api_key" ("id") on delete cascade,
      "url" text not null,
      "secret" text not null,
      "workflow_slug" varchar(200) null,
      "created_by_id" int null references "worker" ("id") on delete set null,
      "created_at" timestamptz not null default now(),
      "deleted_at" timestamptz null);`);
    this.addSql(`create table "webhook_delivery" (
      "id" bigserial primary key,
      "webhook_id" int not null references "webhook" ("id") on delete cascade,
      "event_id" bigint not null,
      "event_tx_id" xid8 not null,
      "event_type" varchar(64) not null,
      "project_id" int null,
      "status" varchar(12) not null default 'PENDING',
      "attempts" int not null default 0,
      "last_status" int null,
      "last_error" text null,
      "created_at" timestamptz not null default now(),
      "last_attempt_at" timestamptz null,
      "delivered_at" timestamptz null,
      constraint "webhook_delivery_webhook_event_unique" unique ("webhook_id", "event_id"));`);
    this.addSql(
      `create index "webhook_delivery_pending" on "webhook_delivery" ("webhook_id", "project_id", "event_tx_id", "event_id") where "status" = 'PENDING';`,
    );
    this.addSql(`create index "webhook_delivery_list" on "webhook_delivery" ("webhook_id", "id");`);
    this.addSql(`create table "idempotency_key" (
      "actor" varchar(64) not null,
      "key" varchar(200) not null,
      "request_hash" varchar(64) not null,
      "response" jsonb null,
      "http_status" int null,
      "created_at" timestamptz not null default now(),
      "expires_at" timestamptz not null,
      "lease_until" timestamptz not null,
      primary key ("actor", "key"));`);
    this.addSql(`create index "idempotency_key_expires_at" on "idempotency_key" ("expires_at");`);
    this.addSql(`create index "domain_event_project_order" on "domain_event" ("project_id", "tx_id", "id");`);
    this.addSql(`create index "domain_event_task_order" on "domain_event" ("task_id", "tx_id", "id");`);
    this.addSql(`create index "domain_event_actor_order" on "domain_event" ("actor", "tx_id", "id");`);
  }
}
