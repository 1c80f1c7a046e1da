// GraphQL enums carry the original's NAMEs; values are what rows store.
import { registerEnumType } from 'type-graphql';
import { DashboardState, SubmitAction, RevertChange } from '../lifecycle/rules.js';
import { AssignmentStatus, CertificationRole, IterationStatus, ProjectStatus, TaskClass, TaskStatus } from '../lifecycle/status.js';

registerEnumType(TaskStatus, { name: 'TaskStatus', description: 'Where a task is in its lifecycle.' });
registerEnumType(AssignmentStatus, { name: 'AssignmentStatus' });
registerEnumType(IterationStatus, { name: 'IterationStatus', description: 'REQUESTED_REVIEW: work sent up; PROVIDED_REVIEW: work sent back down.' });
registerEnumType(ProjectStatus, { name: 'ProjectStatus' });
registerEnumType(TaskClass, { name: 'TaskClass', description: 'REAL work, or TRAINING exercises.' });
registerEnumType(CertificationRole, { name: 'CertificationRole' });
registerEnumType(SubmitAction, { name: 'SubmitAction', description: 'SUBMIT and ACCEPT send work up (to review or completion); REJECT returns it to the level below.' });
registerEnumType(DashboardState, { name: 'DashboardState' });
registerEnumType(RevertChange, { name: 'RevertChange' });
