import { Migration } from '@mikro-orm/migrations';

// Realtime: the relay and resuming subscribers read the outbox in (tx_id, id) order, and replay a
// worker's events by the worker ids the events carry.
export class Migration20261127020000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "domain_event_tx_order" on "domain_event" ("tx_id", "id");`);
    this.addSql(
      `create index "domain_event_worker_ids" on "domain_event" using gin (("payload" -> 'workerIds') jsonb_path_ops);`,
    );
  }
}
