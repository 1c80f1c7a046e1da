// Developer tool: prints the SQL that brings an empty database to the entities' schema.
// Start from it when writing a migration by hand (migrations/ are checked in).
import { loadConfig } from '../config.js';
import { openDatabase } from './database.js';

const db = await openDatabase(loadConfig(), { migrate: false });
const sql = await db.orm.getSchemaGenerator().getCreateSchemaSQL();
process.stdout.write(sql);
await db.close();
