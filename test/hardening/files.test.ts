// Projects' files over HTTP, as an attacker would try them: no credentials, someone else's task, a
// step that takes no uploads, a file that is not what it claims, one too large (also announced too
// large), paths that climb out of the project, removing outside the step's folder, uploading after
// the work was sent or while the project is paused. Each is refused with a sentence and stores
// nothing; what is allowed works, with safe names.
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../server/kernel/actor.js';
import { defineWorkflow } from '../../server/workflow/definition.js';
import { useServer } from '../support/server.js';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

const album = defineWorkflow({
  slug: 'album',
  name: 'Album',
  versions: [
    {
      slug: 'v1',
      name: 'v1',
      steps: [
        {
          kind: 'human',
          slug: 'shoot',
          name: 'Shoot',
          reviewPolicy: { policy: 'no_review' },
          ui: { form: { fields: [] }, uploads: { folder: 'Raw', accept: ['image/png'], maxBytes: 2000 } },
        },
        {
          kind: 'human',
          slug: 'note',
          name: 'Note',
          reviewPolicy: { policy: 'no_review' },
          ui: { form: { fields: [] } },
        },
      ],
    },
  ],
});

const s = await useServer({ workflows: [album] });

describe('project files over HTTP', () => {
  let projectId = 0;
  let shoot = 0;
  let note = 0;
  let holder = '';
  let other = '';

  beforeAll(async () => {
    const a = await s.h.worker('holder', [], { password: 'holder-password' });
    const b = await s.h.worker('other', [], { password: 'other-password' });
    holder = await s.login(a.username, 'holder-password');
    other = await s.login(b.username, 'other-password');
    projectId = (await s.h.project('album')).id;
    shoot = await s.h.taskId(projectId, 'shoot');
    note = await s.h.taskId(projectId, 'note');
    await s.h.lifecycle.claimTask(a, shoot);
    await s.h.lifecycle.claimTask(a, note);
  });

  const put = (taskId: number, name: string, body: Buffer, token?: string, headers: Record<string, string> = {}) =>
    fetch(`${s.url}/files/tasks/${taskId}/${encodeURIComponent(name)}`, {
      method: 'PUT',
      body: new Uint8Array(body),
      headers: { 'content-type': 'image/png', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    });
  const stored = async () => (await s.h.orchestra.files.project(projectId).list('Raw')).map((f) => f.path);
  const error = async (res: Response) => ((await res.json()) as { error: { message: string; reason: string } }).error;

  it('takes a photo from the task’s worker, under a safe name, and a second one of the same name beside it', async () => {
    const first = await put(shoot, '../../beach?.jpg', PNG, holder);
    expect(first.status).toBe(201);
    expect(((await first.json()) as { file: { path: string; url: string } }).file).toMatchObject({
      path: 'Raw/beach_.png',
      url: `${s.url}/files/projects/${projectId}/Raw/beach_.png`,
    });
    expect((await put(shoot, 'beach?.png', PNG, holder)).status).toBe(201);
    expect(await stored()).toEqual(['Raw/beach_ (2).png', 'Raw/beach_.png']);
    const served = await fetch(`${s.url}/files/projects/${projectId}/Raw/beach_.png`, {
      headers: { authorization: `Bearer ${holder}` },
    });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-security-policy')).toContain('sandbox');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it.each([
    ['no credentials', () => put(shoot, 'a.png', PNG), 401, 'NOT_LOGGED_IN'],
    ['a worker not on the task', () => put(shoot, 'a.png', PNG, other), 409, 'NOT_ASSIGNED'],
    ['a step that takes no uploads', () => put(note, 'a.png', PNG, holder), 400, 'BAD_INPUT'],
    [
      'a file that is not a PNG',
      () => put(shoot, 'a.png', Buffer.from('<svg onload=alert(1)>'), holder),
      400,
      'BAD_INPUT',
    ],
    ['an empty file', () => put(shoot, 'a.png', Buffer.alloc(0), holder), 400, 'BAD_INPUT'],
    [
      'a file over the step’s 2,000 bytes',
      () => put(shoot, 'a.png', Buffer.concat([PNG, Buffer.alloc(3000)]), holder),
      413,
      'TOO_LARGE',
    ],
    [
      'a body announced over 50 MB',
      () => put(shoot, 'a.png', PNG, holder, { 'content-length': String(60 * 1024 * 1024) }),
      413,
      'TOO_LARGE',
    ],
  ] as const)('refuses %s, storing nothing', async (_what, request, status, reason) => {
    const before = await stored();
    const res = await request().catch((e: Error) => e);
    if (res instanceof Error) {
      // A lying content-length: the server answers 413 and closes before the body; fetch may see the close.
      expect(reason).toBe('TOO_LARGE');
    } else {
      expect(res.status).toBe(status);
      expect((await error(res)).reason).toBe(reason);
    }
    expect(await stored()).toEqual(before);
  });

  it('serves files only to those who may see the project, and never outside it', async () => {
    const file = `${s.url}/files/projects/${projectId}/Raw/beach_.png`;
    expect((await fetch(file)).status).toBe(401);
    expect((await fetch(file, { headers: { authorization: `Bearer ${other}` } })).status).toBe(403);
    const climb = await fetch(`${s.url}/files/projects/${projectId}/..%2F..%2Fpackage.json`, {
      headers: { authorization: `Bearer ${holder}` },
    });
    expect(climb.status).toBe(400);
    expect((await error(climb)).message).toContain('"." and ".." parts are not allowed');
    const missing = await fetch(`${s.url}/files/projects/${projectId}/Raw/none.png`, {
      headers: { authorization: `Bearer ${holder}` },
    });
    expect(missing.status).toBe(404);
  });

  it('removes only from the step’s folder', async () => {
    await s.h.orchestra.files.project(projectId).write('Elsewhere/keep.txt', 'keep');
    const outside = await fetch(`${s.url}/files/tasks/${shoot}/Elsewhere/keep.txt`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${holder}` },
    });
    expect(outside.status).toBe(403);
    expect(await s.h.orchestra.files.project(projectId).exists('Elsewhere/keep.txt')).toBe(true);
    const inside = await fetch(`${s.url}/files/tasks/${shoot}/Raw/beach_%20(2).png`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${holder}` },
    });
    expect(inside.status).toBe(200);
    expect(await stored()).toEqual(['Raw/beach_.png']);
  });

  it('lists the folder over GraphQL with each file’s address', async () => {
    const res = await s.gql(
      `query($id: ID!) { project(id: $id) { files(folder: "Raw") { path size contentType url } } }`,
      { id: projectId },
      { token: holder },
    );
    expect(res.data?.project.files).toEqual([
      {
        path: 'Raw/beach_.png',
        size: PNG.length,
        contentType: 'image/png',
        url: `${s.url}/files/projects/${projectId}/Raw/beach_.png`,
      },
    ]);
  });

  it('refuses uploads while the project is paused, and once the work was sent', async () => {
    await s.h.lifecycle.pauseProject(SYSTEM, projectId);
    const paused = await put(shoot, 'late.png', PNG, holder);
    expect([paused.status, (await error(paused)).message]).toEqual([409, 'Project is not active.']);
    await s.h.lifecycle.resumeProject(SYSTEM, projectId);
    await s.gql(
      `mutation($id: ID!) { submitTask(input: { taskId: $id, action: SUBMIT, data: {} }) { task { status } } }`,
      { id: shoot },
      { token: holder },
    );
    expect((await s.h.task(projectId, 'shoot'))!.status).toBe('COMPLETE');
    const sent = await put(shoot, 'late.png', PNG, holder);
    expect((await error(sent)).message).toBe('Worker is not allowed to save');
    expect(await stored()).toEqual(['Raw/beach_.png']);
  });
});
