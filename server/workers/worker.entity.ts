import { Entity, OptionalProps, Enum, Index, ManyToOne, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { CertificationRole, TaskClass } from '../lifecycle/status.js';
import { Certification } from '../workflow/workflow.entity.js';

@Entity()
export class Worker {
  [OptionalProps]?: 'firstName' | 'lastName' | 'email' | 'isAdmin' | 'passwordHash' | 'startDatetime';
  @PrimaryKey() id!: number;
  @Property({ unique: true, length: 150 }) username!: string;
  @Property({ length: 150 }) firstName = '';
  @Property({ length: 150 }) lastName = '';
  @Property({ length: 254 }) email = '';
  /** Project admin: may run admin use cases (assign, reassign, end, revert, …). */
  @Property() isAdmin = false;
  /** argon2id hash; null for accounts that cannot log in with a password. */
  @Property({ type: 'text', nullable: true, hidden: true, lazy: true }) passwordHash: string | null = null;
  @Property({ type: 'datetime' }) startDatetime: Date = new Date();
}

@Entity()
@Unique({ properties: ['certification', 'worker', 'taskClass', 'role'] })
@Index({ properties: ['worker', 'role', 'taskClass'] })
export class WorkerCertification {
  [OptionalProps]?: 'createdAt';
  @PrimaryKey() id!: number;
  @ManyToOne(() => Certification) certification!: Rel<Certification>;
  @ManyToOne(() => Worker) worker!: Rel<Worker>;
  @Enum({ items: () => TaskClass }) taskClass!: TaskClass;
  @Enum({ items: () => CertificationRole }) role!: CertificationRole;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
}
