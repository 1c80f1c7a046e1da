import { Migration } from '@mikro-orm/migrations';

// A server process remembers the sessions it has looked up while it hears of every change to them
// (auth/session-memory.ts): a session ended or changed, or its worker changed, NOTIFYs the worker's id on
// `orchestra_auth` at commit, whichever process or tool made the change. A TRUNCATE of either table says
// so with an empty payload: forget everything.
export class Migration20261204000000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function orchestra_auth_changed() returns trigger language plpgsql as $$
begin
  if tg_op = 'TRUNCATE' then
    perform pg_notify('orchestra_auth', '');
  else
    perform pg_notify('orchestra_auth', to_jsonb(old) ->> tg_argv[0]);
  end if;
  return null;
end
$$;`);
    this.addSql(`create trigger session_auth_changed after update or delete on session
  for each row execute function orchestra_auth_changed('worker_id');`);
    this.addSql(`create trigger worker_auth_changed after update on worker
  for each row when (old is distinct from new) execute function orchestra_auth_changed('id');`);
    this.addSql(`create trigger worker_auth_deleted after delete on worker
  for each row execute function orchestra_auth_changed('id');`);
    this.addSql(`create trigger session_auth_truncated after truncate on session
  for each statement execute function orchestra_auth_changed();`);
    this.addSql(`create trigger worker_auth_truncated after truncate on worker
  for each statement execute function orchestra_auth_changed();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists session_auth_changed on session;`);
    this.addSql(`drop trigger if exists worker_auth_changed on worker;`);
    this.addSql(`drop trigger if exists worker_auth_deleted on worker;`);
    this.addSql(`drop trigger if exists session_auth_truncated on session;`);
    this.addSql(`drop trigger if exists worker_auth_truncated on worker;`);
    this.addSql(`drop function if exists orchestra_auth_changed();`);
  }
}
