// Sessions (app cookie or bearer token) and integrators' API keys. Both secrets are random and long,
// so a SHA-256 digest is enough to store them (passwords, which are not, use argon2id).
import 'reflect-metadata';
import { Field, ID, ObjectType } from 'type-graphql';
import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Worker } from '../workers/worker.entity.js';

@Entity()
export class Session {
  [OptionalProps]?: 'createdAt' | 'lastSeenAt';
  @PrimaryKey() id!: number;
  @Property({ length: 64, unique: true }) tokenHash!: string;
  @ManyToOne(() => Worker, { deleteRule: 'cascade' }) worker!: Rel<Worker>;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Property({ type: 'datetime' }) lastSeenAt: Date = new Date();
  @Property({ type: 'datetime' }) expiresAt!: Date;
}

@ObjectType({ description: 'An integrator’s key. The secret is shown once, when the key is created.' })
@Entity()
@Index({ properties: ['revokedAt'] })
export class ApiKey {
  [OptionalProps]?: 'createdAt' | 'revokedAt' | 'lastUsedAt' | 'createdBy';
  @Field(() => ID) @PrimaryKey() id!: number;
  @Field() @Property({ length: 200 }) name!: string;
  /** The first characters of the key, shown in lists so people can tell keys apart. */
  @Field() @Property({ length: 16 }) prefix!: string;
  @Property({ length: 64, unique: true }) keyHash!: string;
  /** Public: the signed client API's `X-Api-Key` and `keyId`. */
  @Field({ description: 'The key id the signed client API (X-Api-Key, keyId) names it by.' })
  @Property({ length: 40, unique: true })
  keyId!: string;
  /**
   * The HMAC secret of the signed client API. Kept as it is (an HMAC is checked with the secret itself,
   * as the original kept it in its settings); the bearer key, by contrast, is kept as a hash only.
   */
  @Property({ type: 'text', hidden: true }) signingSecret!: string;
  @ManyToOne(() => Worker, { nullable: true, deleteRule: 'set null' }) createdBy: Rel<Worker> | null = null;
  @Field() @Property({ type: 'datetime' }) createdAt: Date = new Date();
  @Field(() => Date, { nullable: true }) @Property({ type: 'datetime', nullable: true }) revokedAt: Date | null = null;
  @Field(() => Date, { nullable: true }) @Property({ type: 'datetime', nullable: true }) lastUsedAt: Date | null = null;
}
