// Read use cases of accounts: whether anyone may sign up, and a worker's communication preferences
// (every kind of message with their choice or its default; the worker and admins only).
import { isSelfOrAdmin, type Actor } from '../kernel/actor.js';
import { DEFAULT_PREFERENCES, KIND_LABELS, MESSAGE_KINDS, type MessageKind } from '../notify/templates.js';
import type { Reader } from '../read/reader.js';
import type { Worker } from '../workers/worker.entity.js';
import { CommunicationPreference } from './accounts.entity.js';

export interface Preference {
  kind: MessageKind;
  email: boolean;
  slack: boolean;
}

export interface PreferenceView extends Preference {
  label: string;
}

export class AccountQueries {
  constructor(private readonly registrationOpen: () => boolean) {}

  /** Open to everyone: the sign-in page asks it to offer sign-up or not. */
  registration(): { open: boolean } {
    return { open: this.registrationOpen() };
  }

  slackUsername(actor: Actor | null, worker: Worker): string | null {
    return isSelfOrAdmin(actor, worker.id) ? worker.slackUsername : null;
  }

  async preferences(actor: Actor | null, reader: Reader, worker: Worker): Promise<PreferenceView[] | null> {
    if (!isSelfOrAdmin(actor, worker.id)) return null;
    const rows = await reader.em.find(CommunicationPreference, { worker: worker.id });
    return MESSAGE_KINDS.map((kind) => {
      const row = rows.find((r) => r.kind === kind);
      const fallback = DEFAULT_PREFERENCES[kind];
      return {
        kind,
        label: KIND_LABELS[kind],
        email: row?.email ?? fallback.email,
        slack: row?.slack ?? fallback.slack,
      };
    });
  }
}
