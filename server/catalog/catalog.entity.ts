// Stored copies of the workflows defined in code (workflows/*/workflow.ts). The registry in
// memory is the source of truth for functions; these rows give projects, tasks and
// certifications something to reference, and give SQL (e.g. the next-task query) the step
// facts it filters on.
import 'reflect-metadata';
import { Field, ID, ObjectType } from 'type-graphql';
import { ArrayType, Entity, OptionalProps, ManyToOne, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';

@ObjectType({ description: 'A process of human and machine steps, defined in code (workflows/<slug>/workflow.ts).' })
@Entity()
export class Workflow {
  [OptionalProps]?: 'description' | 'createdAt';
  @Field(() => ID) @PrimaryKey() id!: number;
  @Field() @Property({ unique: true, length: 200 }) slug!: string;
  @Field() @Property({ length: 200 }) name!: string;
  @Field() @Property({ type: 'text' }) description: string = '';
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
}

@ObjectType({ description: 'A version of a workflow; projects pin the version they were created with.' })
@Entity()
@Unique({ properties: ['workflow', 'slug'] })
export class WorkflowVersion {
  [OptionalProps]?: 'description' | 'createdAt';
  @Field(() => ID) @PrimaryKey() id!: number;
  @ManyToOne(() => Workflow) workflow!: Rel<Workflow>;
  @Field() @Property({ length: 200 }) slug!: string;
  @Field() @Property({ length: 200 }) name!: string;
  @Field() @Property({ type: 'text' }) description: string = '';
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
}

@ObjectType({ description: 'A skill a worker may hold as ENTRY_LEVEL or REVIEWER, for REAL or TRAINING work.' })
@Entity()
@Unique({ properties: ['workflow', 'slug'] })
export class Certification {
  [OptionalProps]?: 'description' | 'requiredCertificationIds' | 'createdAt';
  @Field(() => ID) @PrimaryKey() id!: number;
  @ManyToOne(() => Workflow) workflow!: Rel<Workflow>;
  @Field() @Property({ length: 200 }) slug!: string;
  @Field() @Property({ length: 200 }) name!: string;
  @Field() @Property({ type: 'text' }) description: string = '';
  /** Prerequisites: certifications a worker must hold before this one is granted. */
  @Property({ type: new ArrayType((i) => +i), columnType: 'integer[]' }) requiredCertificationIds: number[] = [];
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
}

@ObjectType({ description: 'A human or machine step of a workflow version.' })
@Entity()
@Unique({ properties: ['version', 'slug'] })
export class Step {
  [OptionalProps]?:
    | 'description'
    | 'creationDependsOn'
    | 'submissionDependsOn'
    | 'requiredCertificationIds'
    | 'reviewPolicy'
    | 'assignmentPolicy'
    | 'creationPolicy'
    | 'ui'
    | 'completionEndsProject'
    | 'createdAt';
  @Field(() => ID) @PrimaryKey() id!: number;
  @ManyToOne(() => WorkflowVersion) version!: Rel<WorkflowVersion>;
  @Field() @Property({ length: 200 }) slug!: string;
  @Field() @Property({ length: 200 }) name!: string;
  @Field() @Property({ type: 'text' }) description: string = '';
  @Field() @Property() isHuman!: boolean;
  /** Index in the version's definition order ("creation order" of the original). */
  @Property() position!: number;
  @Field(() => [String], { description: 'Steps whose tasks must be complete before this step gets a task.' })
  @Property({ type: new ArrayType(), columnType: 'text[]' })
  creationDependsOn: string[] = [];
  @Field(() => [String], {
    description: 'Steps whose tasks must be complete before this step’s task can be submitted.',
  })
  @Property({ type: new ArrayType(), columnType: 'text[]' })
  submissionDependsOn: string[] = [];
  /** Every one is needed to work on the step's tasks (in the role of the level). */
  @Property({ type: new ArrayType((i) => +i), columnType: 'integer[]' }) requiredCertificationIds: number[] = [];
  /** Declarative descriptions of the policies (a function policy is stored as {"policy":"function"}). */
  @Property({ type: 'json' }) reviewPolicy: Record<string, unknown> = {};
  @Property({ type: 'json' }) assignmentPolicy: Record<string, unknown> = {};
  @Property({ type: 'json' }) creationPolicy: Record<string, unknown> = {};
  @Property({ type: 'json', nullable: true }) ui: Record<string, unknown> | null = null;
  @Field() @Property() completionEndsProject: boolean = false;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
}
