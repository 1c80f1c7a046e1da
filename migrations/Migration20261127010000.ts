import { Migration } from '@mikro-orm/migrations';

// Identity: sessions (cookie or bearer token) and integrators' API keys, stored as SHA-256 digests.
export class Migration20261127010000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "session" ("id" serial primary key, "token_hash" varchar(64) not null, "worker_id" int not null, "created_at" timestamptz not null, "last_seen_at" timestamptz not null, "expires_at" timestamptz not null);`,
    );
    this.addSql(`alter table "session" add constraint "session_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "session_worker_id_index" on "session" ("worker_id");`);
    this.addSql(
      `create table "api_key" ("id" serial primary key, "name" varchar(200) not null, "prefix" varchar(16) not null, "key_hash" varchar(64) not null, "created_by_id" int null, "created_at" timestamptz not null, "revoked_at" timestamptz null, "last_used_at" timestamptz null);`,
    );
    this.addSql(`alter table "api_key" add constraint "api_key_key_hash_unique" unique ("key_hash");`);
    this.addSql(`create index "api_key_revoked_at_index" on "api_key" ("revoked_at");`);
    this.addSql(
      `alter table "session" add constraint "session_worker_id_foreign" foreign key ("worker_id") references "worker" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "api_key" add constraint "api_key_created_by_id_foreign" foreign key ("created_by_id") references "worker" ("id") on update cascade on delete set null;`,
    );
  }
}
