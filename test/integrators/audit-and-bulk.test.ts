// The audit trail (who did what, when, from which status to which) after a reject-and-resubmit walk,
// per project, task and worker, paged; and bulk operations whose items succeed or fail on their own.
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../server/kernel/actor.js';
import { SubmitAction } from '../../server/lifecycle/rules.js';
import { expectGqlRefused, ok } from '../support/expect.js';
import { useServer, type TestServer } from '../support/server.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

let s: TestServer;
let apiKey: string;
beforeAll(async () => {
  s = await useServer({ workflows: [reviewWorkflow] });
  apiKey = (await s.h.orchestra.auth.createApiKey(SYSTEM, 'auditor')).secret;
});

const TRAIL = `query($f: AuditFilter!, $first: Int, $after: String) {
  auditTrail(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { type actor actorWorker { username } step fromStatus toStatus taskId }
  }
}`;

describe('the audit trail', () => {
  it('lists every step of a reject-and-resubmit walk with its actor, per project, task and worker', async () => {
    const writer = await s.h.worker('audit_writer', [['review', 'writer', 'ENTRY_LEVEL']], {
      password: 'a long password',
    });
    const reviewer = await s.h.worker('audit_reviewer', [['review', 'writer', 'REVIEWER']]);
    const v1 = await s.h.project('review', 'v1', { description: 'Audited walk' });
    const t = await s.h.taskId(v1.id, 'write');
    await s.h.lifecycle.claimTask(writer, t);
    await s.h.lifecycle.submitTask(writer, { taskId: t, data: { text: 'draft' }, action: SubmitAction.SUBMIT });
    await s.h.lifecycle.claimTask(reviewer, t);
    await s.h.lifecycle.submitTask(reviewer, {
      taskId: t,
      data: { text: 'draft' },
      action: SubmitAction.REJECT,
      feedback: 'Again',
    });
    await s.h.lifecycle.submitTask(writer, { taskId: t, data: { text: 'better' }, action: SubmitAction.SUBMIT });
    await s.h.released();

    const trail = ok(await s.gql(TRAIL, { f: { projectId: String(v1.id) }, first: 200 }, { apiKey })).auditTrail;
    const steps = trail.nodes.map((n: any) => [n.type, n.actorWorker?.username ?? n.actor, n.fromStatus, n.toStatus]);
    const W = writer.username;
    const R = reviewer.username;
    expect(steps).toEqual([
      ['project.created', 'system', null, null],
      ['task.created', 'system', null, 'AWAITING_PROCESSING'],
      ['task.assigned', W, null, null],
      ['task.status_changed', W, 'AWAITING_PROCESSING', 'PROCESSING'],
      ['task.submitted', W, null, null],
      ['task.status_changed', W, 'PROCESSING', 'PENDING_REVIEW'],
      ['task.assigned', R, null, null],
      ['task.status_changed', R, 'PENDING_REVIEW', 'REVIEWING'],
      ['task.returned', R, null, null],
      ['task.status_changed', R, 'REVIEWING', 'POST_REVIEW_PROCESSING'],
      ['task.submitted', W, null, null],
      ['task.status_changed', W, 'POST_REVIEW_PROCESSING', 'REVIEWING'],
    ]);
    expect(trail.totalCount).toBe(steps.length);

    // Paged: two at a time, the same entries in the same order.
    const paged: unknown[] = [];
    let after: string | null = null;
    do {
      const page: any = ok(
        await s.gql(TRAIL, { f: { projectId: String(v1.id) }, first: 2, after }, { apiKey }),
      ).auditTrail;
      paged.push(...page.nodes.map((n: any) => [n.type, n.actorWorker?.username ?? n.actor, n.fromStatus, n.toStatus]));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(paged).toEqual(steps);

    // Per worker (what they did) and by type; per task.
    const reviewerDid = ok(await s.gql(TRAIL, { f: { workerId: String(reviewer.workerId) } }, { apiKey })).auditTrail;
    expect(reviewerDid.nodes.map((n: any) => n.type)).toEqual([
      'task.assigned',
      'task.status_changed',
      'task.returned',
      'task.status_changed',
    ]);
    const returns = ok(
      await s.gql(TRAIL, { f: { taskId: String(t), types: ['task.returned'] } }, { apiKey }),
    ).auditTrail;
    expect(returns.nodes).toEqual([
      {
        type: 'task.returned',
        actor: `worker:${reviewer.workerId}`,
        actorWorker: { username: R },
        step: null,
        fromStatus: null,
        toStatus: null,
        taskId: String(t),
      },
    ]);
  });

  it('is for admins and integrators; a worker reads only what they did', async () => {
    const w = await s.h.worker('audit_nosy', [], { password: 'a long password' });
    const token = await s.login(w.username, 'a long password');
    expectGqlRefused(await s.gql(TRAIL, { f: { projectId: '1' } }, { token }), 'FORBIDDEN');
    ok(await s.gql(TRAIL, { f: { workerId: String(w.workerId) } }, { token }));
    expectGqlRefused(await s.gql(TRAIL, { f: {} }), 'UNAUTHENTICATED');
    expectGqlRefused(await s.gql(TRAIL, { f: { types: ['task.exploded'] } }, { apiKey }), 'BAD_INPUT');
  });
});

describe('bulk operations', () => {
  it('create many projects in one call: each succeeds or fails on its own', async () => {
    const res = await s.gql(
      `mutation($p: [CreateProjectInput!]!) { createProjects(input: { projects: $p }) { index project { shortDescription } error { code reason message } } }`,
      {
        p: [
          { workflowSlug: 'review', versionSlug: 'v1', description: 'Bulk one' },
          { workflowSlug: 'review', versionSlug: 'nope', description: 'Bulk bad' },
          { workflowSlug: 'review', versionSlug: 'v1', description: 'Bulk two' },
        ],
      },
      { apiKey },
    );
    expect(ok(res).createProjects).toEqual([
      { index: 0, project: { shortDescription: 'Bulk one' }, error: null },
      {
        index: 1,
        project: null,
        error: { code: 'NOT_FOUND', reason: 'NOT_FOUND', message: 'WorkflowVersion matching query does not exist.' },
      },
      { index: 2, project: { shortDescription: 'Bulk two' }, error: null },
    ]);
    const { rows } = await s.h.db.pool.query(
      `select short_description from project where short_description like 'Bulk%' order by id`,
    );
    expect(rows.map((r) => r.short_description)).toEqual(['Bulk one', 'Bulk two']);
  });

  it('end many, and reassign many; more than 100 items is refused whole', async () => {
    const a = await s.h.project('review');
    const b = await s.h.project('review');
    const ended = ok(
      await s.gql(
        `mutation($ids: [ID!]!) { endProjects(input: { projectIds: $ids }) { index project { status } error { code } } }`,
        { ids: [String(a.id), '999999', String(b.id)] },
        { apiKey },
      ),
    ).endProjects;
    expect(ended).toEqual([
      { index: 0, project: { status: 'ABORTED' }, error: null },
      { index: 1, project: null, error: { code: 'NOT_FOUND' } },
      { index: 2, project: { status: 'ABORTED' }, error: null },
    ]);

    const admin = await s.h.worker('bulk_admin', [], { isAdmin: true, password: 'a long password' });
    const token = await s.login(admin.username, 'a long password');
    const w1 = await s.h.worker('bulk_w1', [['review', 'writer', 'ENTRY_LEVEL']]);
    const w2 = await s.h.worker('bulk_w2', [['review', 'writer', 'ENTRY_LEVEL']]);
    const p = await s.h.project('review');
    const assignment = await s.h.lifecycle.claimTask(w1, await s.h.taskId(p.id, 'write'));
    const moved = ok(
      await s.gql(
        `mutation($a: [ReassignAssignmentInput!]!) { reassignAssignments(input: { assignments: $a }) { index assignment { worker { username } } error { code } } }`,
        {
          a: [
            { assignmentId: String(assignment.id), username: w2.username },
            { assignmentId: '999999', username: w2.username },
          ],
        },
        { token },
      ),
    ).reassignAssignments;
    expect(moved).toEqual([
      { index: 0, assignment: { worker: { username: w2.username } }, error: null },
      { index: 1, assignment: null, error: { code: 'NOT_FOUND' } },
    ]);

    const tooMany = await s.gql(
      `mutation($ids: [ID!]!) { endProjects(input: { projectIds: $ids }) { index } }`,
      { ids: Array.from({ length: 101 }, (_, i) => String(i + 1)) },
      { apiKey },
    );
    expectGqlRefused(tooMany, 'BAD_INPUT', 'A bulk request has at most 100 items.');
  });
});
