import 'reflect-metadata';
import { Field, ID, ObjectType } from 'type-graphql';
import { Entity, OptionalProps, Enum, Index, ManyToOne, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { CertificationRole, TaskClass } from '../kernel/status.js';
import { Certification } from '../catalog/catalog.entity.js';

@ObjectType({ description: 'A person who works on tasks (and, as admin, manages projects).' })
@Entity()
export class Worker {
  [OptionalProps]?:
    'firstName' | 'lastName' | 'email' | 'isAdmin' | 'passwordHash' | 'startDatetime' | 'slackUsername' | 'isActive';
  @Field(() => ID) @PrimaryKey() id!: number;
  @Field() @Property({ unique: true, length: 150 }) username!: string;
  @Field() @Property({ length: 150 }) firstName: string = '';
  @Field() @Property({ length: 150 }) lastName: string = '';
  @Property({ length: 254 }) email = '';
  /** Where Slack messages mention them (`<@name>`); empty: no Slack. */
  @Property({ length: 150 }) slackUsername = '';
  /** False until a self-registered account follows its activation link: it cannot sign in before. */
  @Property() isActive: boolean = true;
  /** Project admin: may run admin use cases (assign, reassign, end, revert, …). */
  @Field() @Property() isAdmin: boolean = false;
  /** argon2id hash; null for accounts that cannot log in with a password. */
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true }) passwordHash: string | null = null;
  @Field() @Property({ type: 'datetime' }) startDatetime: Date = new Date();
}

@ObjectType()
@Entity()
@Unique({ properties: ['certification', 'worker', 'taskClass', 'role'] })
@Index({ properties: ['worker', 'role', 'taskClass'] })
export class WorkerCertification {
  [OptionalProps]?: 'createdAt';
  @Field(() => ID) @PrimaryKey() id!: number;
  @ManyToOne(() => Certification) certification!: Rel<Certification>;
  @ManyToOne(() => Worker) worker!: Rel<Worker>;
  @Field(() => TaskClass) @Enum({ items: () => TaskClass }) taskClass!: TaskClass;
  @Field(() => CertificationRole) @Enum({ items: () => CertificationRole }) role!: CertificationRole;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
}
