// Kept outside migrations/ (a barrel inside it would be taken for a migration).
import { Migration20261127000000 } from '../../migrations/Migration20261127000000.js';

export const migrationsList = [{ name: 'Migration20261127000000', class: Migration20261127000000 }];
