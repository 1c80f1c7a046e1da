import 'reflect-metadata';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Entity, OptionalProps, Enum, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import type { JsonObject } from '../kernel/json.js';
import { ProjectStatus, TaskClass } from '../kernel/status.js';
import { WorkflowVersion } from '../catalog/catalog.entity.js';

@ObjectType({ description: 'An instance of a workflow version: its tasks move through the workflow.' })
@Entity()
@Index({ properties: ['status', 'priority', 'startDatetime'] })
export class Project {
  [OptionalProps]?:
    | 'status'
    | 'shortDescription'
    | 'priority'
    | 'projectData'
    | 'taskClass'
    | 'scratchpadUrl'
    | 'startDatetime'
    | 'slackWebhookUrl';
  @Field(() => ID) @PrimaryKey() id!: number;
  @ManyToOne(() => WorkflowVersion) version!: Rel<WorkflowVersion>;
  @Field(() => ProjectStatus) @Enum({ items: () => ProjectStatus }) status: ProjectStatus = ProjectStatus.ACTIVE;
  @Field() @Property({ type: 'text' }) shortDescription: string = '';
  /** Higher is more important. */
  @Field(() => Int) @Property() priority: number = 0;
  @Field(() => GraphQLJSONObject) @Property({ type: 'json' }) projectData: JsonObject = {};
  @Field(() => TaskClass) @Enum({ items: () => TaskClass }) taskClass: TaskClass = TaskClass.REAL;
  /** Slack incoming-webhook URL of the project's channel (a secret: never in GraphQL). */
  @Property({ type: 'text', nullable: true, hidden: true }) slackWebhookUrl: string | null = null;
  @Field(() => String, { nullable: true }) @Property({ type: 'text', nullable: true }) scratchpadUrl: string | null =
    null;
  @Field() @Property({ type: 'datetime' }) startDatetime: Date = new Date();
}
