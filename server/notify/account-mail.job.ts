// The account-mail job: mails an activation or password-reset link. The use case that asked for the
// link added this job in its own transaction, so it runs only after that committed; the token is made
// here, just before sending, and withdrawn when sending fails (the retry makes a new one).
import type { Task as JobHandler } from 'graphile-worker';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { TokenKind } from '../accounts/accounts.entity.js';
import type { Mailer } from './mailer.js';
import { duration, templates } from './templates.js';

export function accountMailJob(deps: { accounts: AccountsService; mailer: Mailer }): JobHandler {
  return async (payload) => {
    const { workerId, kind } = payload as { workerId: number; kind: TokenKind };
    const link = await deps.accounts.issueLink(workerId, kind);
    if (!link) return;
    const name = link.worker.firstName || link.worker.username;
    const message =
      kind === 'ACTIVATION'
        ? templates.activation({ name, url: link.url, validFor: duration(link.ttlMs) })
        : templates.passwordReset({ name, url: link.url, validFor: duration(link.ttlMs) });
    try {
      await deps.mailer.send({
        to: link.worker.email,
        subject: message.subject,
        text: message.text,
        html: message.html,
      });
    } catch (error) {
      await deps.accounts.withdrawLink(link.tokenId);
      throw error;
    }
  };
}
