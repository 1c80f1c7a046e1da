// Every message Orchestra sends, in one place: its subject, plain text and HTML (and the one line a
// Slack channel gets). Pure: the values are filled in by the caller; HTML is escaped here.

export const MESSAGE_KINDS = [
  'TASK_ASSIGNED',
  'TASK_RETURNED',
  'TASK_ACCEPTED',
  'PROJECT_ENDED',
  'NEW_TASKS_AVAILABLE',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];
/** The kinds as an enum object (GraphQL's MessageKind). */
export const MessageKind = Object.fromEntries(MESSAGE_KINDS.map((k) => [k, k])) as { [K in MessageKind]: K };

/** What a worker gets unless they say otherwise (new-task news is opt-in: it can be many). */
export const DEFAULT_PREFERENCES: Record<MessageKind, { email: boolean; slack: boolean }> = {
  TASK_ASSIGNED: { email: true, slack: true },
  TASK_RETURNED: { email: true, slack: true },
  TASK_ACCEPTED: { email: true, slack: true },
  PROJECT_ENDED: { email: true, slack: true },
  NEW_TASKS_AVAILABLE: { email: false, slack: false },
};

/** How the app's preferences page names each kind. */
export const KIND_LABELS: Record<MessageKind, string> = {
  TASK_ASSIGNED: 'A task is given to me, or comes back for my review',
  TASK_RETURNED: 'My work is returned with feedback',
  TASK_ACCEPTED: 'A task I worked on is complete',
  PROJECT_ENDED: 'A project I work on is ended',
  NEW_TASKS_AVAILABLE: 'New tasks I may take are waiting',
};

export interface Message {
  subject: string;
  text: string;
  html: string;
  /** The Slack line (without the mention). */
  slack: string;
}

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function message(
  subject: string,
  greeting: string,
  lines: string[],
  link: { url: string; label: string } | null,
  slack: string,
): Message {
  const text = [greeting, '', ...lines, ...(link ? ['', `${link.label}: ${link.url}`] : []), '', '— Orchestra'].join(
    '\n',
  );
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1b2230">
<p>${escape(greeting)}</p>
${lines.map((l) => `<p>${escape(l).replace(/\n/g, '<br>')}</p>`).join('\n')}
${link ? `<p><a href="${escape(link.url)}" style="color:#2446c7;font-weight:600">${escape(link.label)}</a></p>` : ''}
<p style="color:#4f596b">— Orchestra</p></body></html>`;
  return { subject, text, html, slack: link ? `${slack} ${link.url}` : slack };
}

/** Slack reads `<…>` as links and mentions (`<!channel>`): what people typed is escaped, as Slack asks. */
export const forSlack = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const hello = (name: string) => `Hello ${name},`;

/** How long a link works, as a person says it: "48 hours", "60 minutes". */
export function duration(ms: number): string {
  if (ms >= 2 * 3600_000) return `${Math.round(ms / 3600_000)} hours`;
  const minutes = Math.max(1, Math.round(ms / 60_000));
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

export interface TaskFacts {
  /** The recipient's name. */
  name: string;
  step: string;
  project: string;
  url: string;
}

export const templates = {
  activation: (v: { name: string; url: string; validFor: string }) =>
    message(
      'Activate your Orchestra account',
      hello(v.name),
      [`Welcome to Orchestra. Follow the link within ${v.validFor} to activate your account; then sign in.`],
      { url: v.url, label: 'Activate my account' },
      'Activate your Orchestra account:',
    ),
  passwordReset: (v: { name: string; url: string; validFor: string }) =>
    message(
      'Reset your Orchestra password',
      hello(v.name),
      [
        `Someone (we hope you) asked to reset your password. The link works once, for ${v.validFor}.`,
        'If it was not you, ignore this message: your password stays as it is.',
      ],
      { url: v.url, label: 'Choose a new password' },
      'Reset your Orchestra password:',
    ),
  TASK_ASSIGNED: (v: TaskFacts) =>
    message(
      `New task: ${v.step} — ${v.project}`,
      hello(v.name),
      [`You have been given the task "${v.step}" of "${v.project}".`],
      { url: v.url, label: 'Open the task' },
      `You have a new task: "${v.step}" of "${v.project}".`,
    ),
  TASK_READY_FOR_REREVIEW: (v: TaskFacts & { by: string }) =>
    message(
      `Ready for re-review: ${v.step} — ${v.project}`,
      hello(v.name),
      [`${v.by} sent back the work you returned on "${v.step}" of "${v.project}": it is ready for your review again.`],
      { url: v.url, label: 'Review it' },
      `"${v.step}" of "${v.project}" is ready for re-review (from ${v.by}).`,
    ),
  TASK_RETURNED: (v: TaskFacts & { by: string; feedback: string | null }) =>
    message(
      `Returned with feedback: ${v.step} — ${v.project}`,
      hello(v.name),
      [
        `${v.by} returned your work on "${v.step}" of "${v.project}".`,
        v.feedback ? `Their feedback:\n${v.feedback}` : 'They gave no feedback: ask them what to change.',
      ],
      { url: v.url, label: 'Open the task' },
      `${v.by} returned "${v.step}" of "${v.project}"${v.feedback ? `: “${v.feedback}”` : ''}.`,
    ),
  TASK_ACCEPTED: (v: TaskFacts & { by: string | null }) =>
    message(
      `Task complete: ${v.step} — ${v.project}`,
      hello(v.name),
      [
        v.by
          ? `${v.by} accepted the work on "${v.step}" of "${v.project}": the task is complete. Well done.`
          : `The task "${v.step}" of "${v.project}" is complete.`,
      ],
      { url: v.url, label: 'See the task' },
      `"${v.step}" of "${v.project}" is complete${v.by ? ` (accepted by ${v.by})` : ''}.`,
    ),
  PROJECT_ENDED: (v: { name: string; project: string }) =>
    message(
      `Project ended: ${v.project}`,
      hello(v.name),
      [`The project "${v.project}" was ended. Its open tasks are closed; nothing more is needed from you on it.`],
      null,
      `The project "${v.project}" was ended.`,
    ),
  NEW_TASKS_AVAILABLE: (v: TaskFacts) =>
    message(
      `A task is waiting: ${v.step} — ${v.project}`,
      hello(v.name),
      [`A task you may take is waiting: "${v.step}" of "${v.project}".`],
      { url: v.url, label: 'Open your dashboard' },
      `A task you may take is waiting: "${v.step}" of "${v.project}".`,
    ),
};
