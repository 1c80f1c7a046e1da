// MikroORM setup: one config for the server, the CLI and tests.
import 'reflect-metadata';
import { MikroORM, defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities.js';
import { migrationsList } from './migrations-list.js';
import { installRoundTrips } from './round-trips.js';

installRoundTrips();

export function ormConfig(clientUrl: string, extra: Partial<Options> = {}): Options {
  return defineConfig({
    clientUrl,
    entities,
    extensions: [Migrator],
    migrations: {
      // Static list: migrations run the same under swc-node, vitest and compiled JS.
      migrationsList,
      path: 'migrations',
      pathTs: 'migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    pool: { min: 0, max: 20 },
    // Entities are forked per use case; never share the global identity map by accident.
    allowGlobalContext: false,
    debug: false,
    ...extra,
  });
}

export async function openOrm(clientUrl: string, extra: Partial<Options> = {}): Promise<MikroORM> {
  return MikroORM.init(ormConfig(clientUrl, extra));
}

/** Applies pending migrations (ours, then graphile-worker's own schema). */
export async function migrate(orm: MikroORM): Promise<void> {
  await orm.getMigrator().up();
}
