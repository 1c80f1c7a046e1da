// A real SMTP server on 127.0.0.1 (smtp-server) that keeps every message it accepts, parsed
// (mailparser) — the tests' mailbox. It can refuse the next messages, as a mail server that is down
// for a moment would. Orchestra talks to it over SMTP exactly as to any other (ORCHESTRA_SMTP_URL).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll } from 'vitest';
import { until } from './wait.js';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailSink {
  /** For config.mail.smtpUrl (pooled: smtp-server delays every new connection). */
  smtpUrl: string;
  messages: ReceivedMail[];
  /** Refuse this many of the next messages (a 451, as a server that is briefly unavailable). */
  refuseNext(count: number): void;
  /** How many messages were refused so far. */
  refused(): number;
  /** The first message to this address (matching `subject`) that next() has not returned yet: waits for it. */
  next(to: string, subject?: RegExp, timeoutMs?: number): Promise<ReceivedMail>;
  /** The messages to an address so far. */
  to(address: string): ReceivedMail[];
  close(): Promise<void>;
}

/** The link of a message that goes to this path (`/activate`, `/reset`), from its plain text. */
export function linkIn(mail: ReceivedMail, pathname: string): URL {
  const found = mail.text
    .match(/https?:\/\/\S+/g)
    ?.map((u) => new URL(u))
    .find((u) => u.pathname === pathname);
  if (!found) throw new Error(`no ${pathname} link in: ${mail.text}`);
  return found;
}

export async function startMailSink(): Promise<MailSink> {
  const messages: ReceivedMail[] = [];
  /** Messages next() returned already. */
  const taken = new Set<ReceivedMail>();
  let toRefuse = 0;
  let refusedCount = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      if (toRefuse > 0) {
        toRefuse--;
        refusedCount++;
        stream.resume();
        stream.on('end', () => callback(Object.assign(new Error('Try again later'), { responseCode: 451 })));
        return;
      }
      simpleParser(stream)
        .then((parsed) => {
          const recipients = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          for (const to of recipients) {
            messages.push({
              to,
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: String(parsed.html || ''),
            });
          }
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const toAddress = (address: string) => messages.filter((m) => m.to === address.toLowerCase());
  return {
    smtpUrl: `smtp://127.0.0.1:${port}/?ignoreTLS=true&pool=true`,
    messages,
    refuseNext(count) {
      toRefuse = count;
    },
    refused: () => refusedCount,
    to: toAddress,
    async next(to, subject, timeoutMs = 15_000) {
      let found: ReceivedMail | undefined;
      await until(
        () => {
          found = toAddress(to).find((m) => !taken.has(m) && (!subject || subject.test(m.subject)));
          return !!found;
        },
        `a mail to ${to}${subject ? ` (${subject})` : ''}`,
        timeoutMs,
      );
      taken.add(found!);
      return found!;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A mail sink for a test file, closed after its tests. */
export async function useMailSink(): Promise<MailSink> {
  const sink = await startMailSink();
  afterAll(() => sink.close());
  return sink;
}

export interface WebhookReceiver {
  url: string;
  /** Every request body received, parsed as JSON. */
  posts: { text: string }[];
  /** Answer the next requests with this status (then 200 again). */
  failNext(count: number, status?: number): void;
  close(): Promise<void>;
}

/** A local HTTP server standing in for Slack's incoming webhook: it answers "ok" as Slack does. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const posts: { text: string }[] = [];
  let failing = 0;
  let failStatus = 500;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failing > 0) {
        failing--;
        res.writeHead(failStatus).end('server_error');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.method !== 'POST' || !/application\/json/.test(req.headers['content-type'] ?? '')) {
        res.writeHead(400).end('invalid_payload');
        return;
      }
      posts.push(JSON.parse(body) as { text: string });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/XXXX`,
    posts,
    failNext(count, status = 500) {
      failing = count;
      failStatus = status;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
