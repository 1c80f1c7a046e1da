// Kept outside migrations/ (a barrel inside it would be taken for a migration). Append new ones.
import { Migration20261127000000 } from '../../migrations/Migration20261127000000.js';
import { Migration20261127010000 } from '../../migrations/Migration20261127010000.js';
import { Migration20261127020000 } from '../../migrations/Migration20261127020000.js';
import { Migration20261201000000 } from '../../migrations/Migration20261201000000.js';
import { Migration20261201010000 } from '../../migrations/Migration20261201010000.js';
import { Migration20261201020000 } from '../../migrations/Migration20261201020000.js';
import { Migration20261202000000 } from '../../migrations/Migration20261202000000.js';
import { Migration20261202010000 } from '../../migrations/Migration20261202010000.js';
import { Migration20261202020000 } from '../../migrations/Migration20261202020000.js';
import { Migration20261202030000 } from '../../migrations/Migration20261202030000.js';
import { Migration20261202040000 } from '../../migrations/Migration20261202040000.js';
import { Migration20261203000000 } from '../../migrations/Migration20261203000000.js';
import { Migration20261204000000 } from '../../migrations/Migration20261204000000.js';

export const migrationsList = [
  { name: 'Migration20261127000000', class: Migration20261127000000 },
  { name: 'Migration20261127010000', class: Migration20261127010000 },
  { name: 'Migration20261127020000', class: Migration20261127020000 },
  { name: 'Migration20261201000000', class: Migration20261201000000 },
  { name: 'Migration20261201010000', class: Migration20261201010000 },
  { name: 'Migration20261201020000', class: Migration20261201020000 },
  { name: 'Migration20261202000000', class: Migration20261202000000 },
  { name: 'Migration20261202010000', class: Migration20261202010000 },
  { name: 'Migration20261202020000', class: Migration20261202020000 },
  { name: 'Migration20261202030000', class: Migration20261202030000 },
  { name: 'Migration20261202040000', class: Migration20261202040000 },
  { name: 'Migration20261203000000', class: Migration20261203000000 },
  { name: 'Migration20261204000000', class: Migration20261204000000 },
];
