// Stored copies of the workflows defined in code (workflows/*/workflow.ts). The registry in
// memory is the source of truth for functions; these rows give projects, tasks and
// certifications something to reference, and give SQL (e.g. the next-task query) the step
// facts it filters on.
import { ArrayType, Entity, OptionalProps, ManyToOne, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';

@Entity()
export class Workflow {
  [OptionalProps]?: 'description' | 'createdAt';
  @PrimaryKey() id!: number;
  @Property({ unique: true, length: 200 }) slug!: string;
  @Property({ length: 200 }) name!: string;
  @Property({ type: 'text' }) description = '';
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
}

@Entity()
@Unique({ properties: ['workflow', 'slug'] })
export class WorkflowVersion {
  [OptionalProps]?: 'description' | 'createdAt';
  @PrimaryKey() id!: number;
  @ManyToOne(() => Workflow) workflow!: Rel<Workflow>;
  @Property({ length: 200 }) slug!: string;
  @Property({ length: 200 }) name!: string;
  @Property({ type: 'text' }) description = '';
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
}

@Entity()
@Unique({ properties: ['workflow', 'slug'] })
export class Certification {
  [OptionalProps]?: 'description' | 'requiredCertificationIds' | 'createdAt';
  @PrimaryKey() id!: number;
  @ManyToOne(() => Workflow) workflow!: Rel<Workflow>;
  @Property({ length: 200 }) slug!: string;
  @Property({ length: 200 }) name!: string;
  @Property({ type: 'text' }) description = '';
  /** Prerequisites: certifications a worker must hold before this one is granted. */
  @Property({ type: new ArrayType((i) => +i), columnType: 'integer[]' }) requiredCertificationIds: number[] = [];
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
}

@Entity()
@Unique({ properties: ['version', 'slug'] })
export class Step {
  [OptionalProps]?: 'description' | 'creationDependsOn' | 'submissionDependsOn' | 'requiredCertificationIds' | 'reviewPolicy' | 'assignmentPolicy' | 'creationPolicy' | 'ui' | 'completionEndsProject' | 'createdAt';
  @PrimaryKey() id!: number;
  @ManyToOne(() => WorkflowVersion) version!: Rel<WorkflowVersion>;
  @Property({ length: 200 }) slug!: string;
  @Property({ length: 200 }) name!: string;
  @Property({ type: 'text' }) description = '';
  @Property() isHuman!: boolean;
  /** Index in the version's definition order ("creation order" of the original). */
  @Property() position!: number;
  @Property({ type: new ArrayType(), columnType: 'text[]' }) creationDependsOn: string[] = [];
  @Property({ type: new ArrayType(), columnType: 'text[]' }) submissionDependsOn: string[] = [];
  /** Every one is needed to work on the step's tasks (in the role of the level). */
  @Property({ type: new ArrayType((i) => +i), columnType: 'integer[]' }) requiredCertificationIds: number[] = [];
  /** Declarative descriptions of the policies (a function policy is stored as {"policy":"function"}). */
  @Property({ type: 'json' }) reviewPolicy: Record<string, unknown> = {};
  @Property({ type: 'json' }) assignmentPolicy: Record<string, unknown> = {};
  @Property({ type: 'json' }) creationPolicy: Record<string, unknown> = {};
  @Property({ type: 'json', nullable: true }) ui: Record<string, unknown> | null = null;
  @Property() completionEndsProject = false;
  @Property({ type: 'datetime' }) createdAt: Date = new Date();
}
