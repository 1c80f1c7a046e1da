// Sending e-mail: SMTP through nodemailer when ORCHESTRA_SMTP_URL is set (smtp://user:pass@host:587,
// smtps://… for TLS from the start; `?ignoreTLS=true` for a local sink), otherwise — the original's
// default — each message is written to the server log, so a fresh install shows its links there.
import nodemailer from 'nodemailer';
import type { Config } from '../config.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

export function createMailer(
  config: Pick<Config, 'mail'>,
  log: (line: string) => void = (l) => console.log(l),
): Mailer {
  if (!config.mail.smtpUrl) {
    return {
      async send(mail) {
        log(`[mail] to ${mail.to}: ${mail.subject}\n${mail.text.replace(/^/gm, '  ')}`);
      },
      close() {},
    };
  }
  const transport = nodemailer.createTransport(config.mail.smtpUrl);
  return {
    async send(mail) {
      await transport.sendMail({ from: config.mail.from, ...mail });
    },
    close: () => transport.close(),
  };
}
