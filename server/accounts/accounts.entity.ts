// Accounts' rows: single-use tokens of activation and password-reset links (only their hashes), and
// each worker's communication preferences (which kinds of message by which channel).
import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { Worker } from '../workers/worker.entity.js';

export type TokenKind = 'ACTIVATION' | 'PASSWORD_RESET';

@Entity()
@Index({ properties: ['worker', 'kind'] })
export class AccountToken {
  [OptionalProps]?: 'createdAt' | 'usedAt';
  @PrimaryKey() id!: number;
  @ManyToOne(() => Worker, { deleteRule: 'cascade' }) worker!: Rel<Worker>;
  @Property({ length: 20 }) kind!: TokenKind;
  @Property({ length: 64, unique: true }) tokenHash!: string;
  @Property({ type: 'datetime' }) expiresAt!: Date;
  @Property({ type: 'datetime', nullable: true }) usedAt: Date | null = null;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
}

@Entity()
@Unique({ properties: ['worker', 'kind'] })
export class CommunicationPreference {
  @PrimaryKey() id!: number;
  @ManyToOne(() => Worker, { deleteRule: 'cascade' }) worker!: Rel<Worker>;
  @Property({ length: 40 }) kind!: string;
  @Property() email!: boolean;
  @Property() slack!: boolean;
}
