import { Entity, OptionalProps, Enum, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import type { JsonObject } from '../workflow/definition.js';
import { ProjectStatus, TaskClass } from '../lifecycle/status.js';
import { WorkflowVersion } from '../workflow/workflow.entity.js';

@Entity()
@Index({ properties: ['status', 'priority', 'startDatetime'] })
export class Project {
  [OptionalProps]?: 'status' | 'shortDescription' | 'priority' | 'projectData' | 'taskClass' | 'scratchpadUrl' | 'startDatetime';
  @PrimaryKey() id!: number;
  @ManyToOne(() => WorkflowVersion) version!: Rel<WorkflowVersion>;
  @Enum({ items: () => ProjectStatus }) status: ProjectStatus = ProjectStatus.ACTIVE;
  @Property({ type: 'text' }) shortDescription = '';
  /** Higher is more important. */
  @Property() priority = 0;
  @Property({ type: 'json' }) projectData: JsonObject = {};
  @Enum({ items: () => TaskClass }) taskClass: TaskClass = TaskClass.REAL;
  @Property({ type: 'text', nullable: true }) scratchpadUrl: string | null = null;
  @Property({ type: 'datetime' }) startDatetime: Date = new Date();
}
