import { Migration } from '@mikro-orm/migrations';

// A statement that must fail when what it checked no longer holds, so that the statements sent with it
// in one text (its transaction's events and COMMIT) do not run: a claim's write goes out with its events
// and COMMIT, and a task whose version moved under it must commit nothing (lifecycle/assign.ts). The
// function raises its own SQLSTATE, with the reason as the hint; `transact` turns it into that refusal.
export class Migration20261203000000 extends Migration {
  override async up(): Promise<void> {
    this
      .addSql(`create or replace function orchestra_refuse(reason text) returns boolean language plpgsql volatile as $$
begin
  raise exception 'Orchestra refused the change: %', reason using errcode = 'OR001', hint = reason;
end
$$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists orchestra_refuse(text);`);
  }
}
