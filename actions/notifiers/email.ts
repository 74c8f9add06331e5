/**
 * Email notifications over SMTP through nodemailer: STARTTLS policy, optional implicit TLS
 * (port 465 style), optional login, one message per notification with a subject that names
 * the severity and the signature.
 *
 * @module
 */

import nodemailer from "nodemailer";
import type { NotifyChannel, NotifyMessage } from "../notify.ts";
import { NotifyError } from "./_run.ts";

/** Options of the email channel (`[notify.email]`). */
export interface EmailOptions {
  readonly host: string;
  readonly port: number;
  /** "auto": use STARTTLS when offered; "always": refuse to send without it; "never". */
  readonly starttls: "auto" | "always" | "never";
  /** TLS from the first byte (SMTPS, usually port 465) instead of STARTTLS. */
  readonly implicitTls: boolean;
  /** Login name; empty: no authentication. */
  readonly username: string;
  readonly password: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly subjectPrefix: string;
  readonly timeoutMs: number;
}

/** "[pcap_ts] MEDIUM: TCP port scan of 10.200.0.1 by 10.200.0.2" */
export function emailSubject(o: Pick<EmailOptions, "subjectPrefix">, m: NotifyMessage): string {
  return o.subjectPrefix === "" ? m.title : `${o.subjectPrefix} ${m.title}`;
}

/** nodemailer transport options for the settings (pure). */
export function transportOptions(o: EmailOptions): Record<string, unknown> {
  return {
    host: o.host,
    port: o.port,
    secure: o.implicitTls,
    requireTLS: o.starttls === "always",
    ignoreTLS: o.starttls === "never",
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
    ...(o.username === "" ? {} : { auth: { user: o.username, pass: o.password } }),
  };
}

interface Transport {
  sendMail(mail: Record<string, unknown>): Promise<unknown>;
  close(): void;
}

/** The email channel. */
export class EmailChannel implements NotifyChannel {
  readonly name = "email";
  readonly #transport: Transport;

  constructor(readonly options: EmailOptions) {
    if (options.to.length === 0) {
      throw new NotifyError("notify.email.to is empty: name at least one recipient");
    }
    this.#transport = nodemailer.createTransport(transportOptions(options)) as Transport;
  }

  async send(m: NotifyMessage): Promise<void> {
    try {
      await this.#transport.sendMail({
        from: this.options.from,
        to: [...this.options.to],
        subject: emailSubject(this.options, m),
        text: `${m.body}\n\n-- \npcap_ts\n`,
        headers: { "X-Pcap-Ts-Kind": m.kind, "X-Pcap-Ts-Severity": String(m.severity) },
      });
    } catch (e) {
      throw new NotifyError(
        `SMTP ${this.options.host}:${this.options.port}: ${e instanceof Error ? e.message : e}`,
        { cause: e },
      );
    }
  }

  close(): void {
    this.#transport.close();
  }
}
