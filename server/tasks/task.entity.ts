import 'reflect-metadata';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import {
  Collection,
  Entity,
  OptionalProps,
  Enum,
  Filter,
  Index,
  ManyToOne,
  OneToMany,
  PrimaryKey,
  Property,
  Unique,
  type Rel,
} from '@mikro-orm/core';
import type { JsonObject } from '../kernel/json.js';
import { AssignmentStatus, IterationStatus, TaskStatus } from '../kernel/status.js';
import { Project } from '../projects/project.entity.js';
import { Step } from '../catalog/catalog.entity.js';
import { Worker } from '../workers/worker.entity.js';

@ObjectType({ description: 'An instance of a step in a project.' })
@Entity()
@Unique({ properties: ['project', 'step'] })
export class Task {
  [OptionalProps]?: 'status' | 'tags' | 'startDatetime' | 'updatedAt' | 'version';
  @Field(() => ID) @PrimaryKey() id!: number;
  @ManyToOne(() => Project) project!: Rel<Project>;
  @ManyToOne(() => Step) step!: Rel<Step>;
  @Field(() => TaskStatus) @Enum({ items: () => TaskStatus }) status: TaskStatus = TaskStatus.AWAITING_PROCESSING;
  @Property({ type: 'json' }) tags: JsonObject = { tags: [] };
  @Field() @Property({ type: 'datetime' }) startDatetime: Date = new Date();
  /** When the task last changed (its status, its assignments' hands): what the dashboard's "changed … ago" shows. */
  @Field({ description: 'When the task last changed.' })
  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
  /** Guards lost updates: every change of a task bumps it (use cases also hold a row lock). */
  @Property({ version: true }) version!: number;
  @OneToMany(() => TaskAssignment, (a) => a.task) assignments = new Collection<TaskAssignment>(this);
}

// Assignments and iterations are soft-deleted (by revert); the `live` filter hides deleted rows.
@ObjectType({ description: 'One level of a task: level 0 is the entry-level worker, level k the k-th reviewer.' })
@Entity()
@Filter({ name: 'live', cond: { isDeleted: false }, default: true })
@Index({ properties: ['worker', 'status'] })
export class TaskAssignment {
  [OptionalProps]?:
    'worker' | 'status' | 'data' | 'startDatetime' | 'isDeleted' | 'attempts' | 'lastError' | 'leaseExpiresAt';
  @Field(() => ID) @PrimaryKey() id!: number;
  @ManyToOne(() => Task) task!: Rel<Task>;
  /** Null for machine steps. */
  @ManyToOne(() => Worker, { nullable: true }) worker: Rel<Worker> | null = null;
  @Field(() => AssignmentStatus) @Enum({ items: () => AssignmentStatus }) status: AssignmentStatus =
    AssignmentStatus.PROCESSING;
  /** Review level: 0 = entry-level worker, k = k-th reviewer (the original's assignment_counter). */
  @Field(() => Int) @Property() level!: number;
  /** This level's working copy of the task's data (the original's in_progress_task_data). */
  @Property({ type: 'json' }) data: JsonObject = {};
  @Field() @Property({ type: 'datetime' }) startDatetime: Date = new Date();
  @Property() isDeleted = false;
  /** Machine steps: attempts made so far and the last error. */
  @Field(() => Int) @Property() attempts: number = 0;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) lastError: string | null = null;
  /** Machine steps: until when the process running the current attempt has it (renewed while it runs). */
  @Field(() => Date, {
    nullable: true,
    description: 'Machine steps: until when the running attempt is held (renewed while it runs).',
  })
  @Property({ type: 'datetime', nullable: true })
  leaseExpiresAt: Date | null = null;
  @OneToMany(() => Iteration, (i) => i.assignment) iterations = new Collection<Iteration>(this);
}

@ObjectType({ description: 'One period during which an assignment was being worked on.' })
@Entity()
@Filter({ name: 'live', cond: { isDeleted: false }, default: true })
export class Iteration {
  [OptionalProps]?: 'status' | 'startDatetime' | 'endDatetime' | 'submittedData' | 'feedback' | 'isDeleted';
  @Field(() => ID) @PrimaryKey() id!: number;
  @ManyToOne(() => TaskAssignment) assignment!: Rel<TaskAssignment>;
  @Field(() => IterationStatus) @Enum({ items: () => IterationStatus }) status: IterationStatus =
    IterationStatus.PROCESSING;
  @Field() @Property({ type: 'datetime' }) startDatetime: Date = new Date();
  @Field(() => Date, { nullable: true }) @Property({ type: 'datetime', nullable: true }) endDatetime: Date | null =
    null;
  @Property({ type: 'json' }) submittedData: JsonObject = {};
  /** What the worker said with the work they sent up or down (a reviewer's feedback when returning it). */
  @Property({ type: 'text', nullable: true }) feedback: string | null = null;
  @Property() isDeleted = false;
}
