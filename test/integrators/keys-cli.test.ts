// `orchestra keys create | list | revoke`, as the README's integrator section starts: the printed GraphQL
// key works against a running server, the printed key id and signing secret sign the original's client
// API, the list shows the key (never its secrets), and a revoked key is refused by both doors.
import { createHmac } from 'node:crypto';
import { expect, it } from 'vitest';
import { runCommand } from '../support/cli.js';
import { useServer } from '../support/server.js';
import { reviewWorkflow } from '../workflows/fixtures.js';

const s = await useServer({ workflows: [reviewWorkflow] });
const orchestra = (args: string[]) =>
  runCommand(args, { ...process.env, DATABASE_URL: s.h.db.url, ORCHESTRA_JOBS_IN_PROCESS: 'false', NODE_ENV: 'test' });

async function signedWorkflowTypes(keyId: string, secret: string) {
  const date = new Date().toUTCString();
  const signature = createHmac('sha256', secret).update(`date: ${date}`).digest('base64');
  const res = await fetch(`${s.url}/orchestra/api/project/workflow_types`, {
    headers: {
      date,
      'x-api-key': keyId,
      authorization: `Signature keyId="${keyId}",algorithm="hmac-sha256",headers="date",signature="${signature}"`,
    },
  });
  return { status: res.status, body: (await res.json()) as any };
}

it(
  'creates a key whose secrets work in both doors, lists it without them, and revokes it',
  { timeout: 120_000 },
  async () => {
    const created = await orchestra(['keys', 'create', 'Newsroom CMS']);
    expect(created.code, created.stderr).toBe(0);
    const graphqlKey = /GraphQL API:\s+(ok_\S+)/.exec(created.stdout)![1]!;
    const keyId = /key id (oki_\S+)/.exec(created.stdout)![1]!;
    const signingSecret = /secret (\S+)/.exec(created.stdout)![1]!;

    const gql = await s.gql('{ workflows { slug } }', {}, { apiKey: graphqlKey });
    expect(gql.errors).toBeUndefined();
    expect(gql.data?.workflows).toContainEqual({ slug: 'review' });
    expect((await signedWorkflowTypes(keyId, signingSecret)).status).toBe(200);

    const listed = await orchestra(['keys', 'list']);
    expect(listed.stdout).toContain(keyId);
    expect(listed.stdout).toContain('Newsroom CMS');
    expect(listed.stdout).not.toContain(graphqlKey);
    expect(listed.stdout).not.toContain(signingSecret);

    const id = /^(\d+)\t/m.exec(listed.stdout)![1]!;
    const revoked = await orchestra(['keys', 'revoke', id]);
    expect(revoked.stdout).toContain('Revoked API key');
    expect((await s.gql('{ workflows { slug } }', {}, { apiKey: graphqlKey })).errors?.[0]?.extensions?.code).toBe(
      'UNAUTHENTICATED',
    );
    expect(await signedWorkflowTypes(keyId, signingSecret)).toEqual({
      status: 403,
      body: { detail: 'Unable to find API key' },
    });
  },
);
