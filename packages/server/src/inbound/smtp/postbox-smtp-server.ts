import type net from "node:net";
import type tls from "node:tls";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { SMTPConnection, type SMTPConnectionOptions } from "smtp-server/lib/smtp-connection.js";

/** What the listener learns of every connection: for the metrics (counted whatever the session becomes). */
export interface SmtpObserver {
  opened(): void;
  closed(): void;
  /** Every reply written, the greeting and refusals included. */
  replied(code: number): void;
}

export interface PostboxSmtpServerOptions extends SMTPServerOptions {
  /**
   * Milliseconds the greeting waits; a client that sends anything meanwhile is an early talker and is refused
   * (smtp-server's 421 "You talk too soon", connection closed). 0: greet at once, no early-talker check.
   */
  greetingDelayMs: number;
  observer?: SmtpObserver;
}

/**
 * smtp-server 3.21's connection, but its greeting waits `greetingDelayMs` instead of its fixed 100 ms
 * (`SMTPConnection#init`, no option for it). Only `init` is replaced, and `send` is watched for the metrics.
 */
class GreetingConnection extends SMTPConnection {
  readonly greetingDelayMs: number;
  readonly observer: SmtpObserver | undefined;

  constructor(
    server: SMTPServer,
    socket: net.Socket | tls.TLSSocket,
    options: SMTPConnectionOptions | null | undefined,
    greetingDelayMs: number,
    observer: SmtpObserver | undefined,
  ) {
    super(server, socket, options);
    this.greetingDelayMs = greetingDelayMs;
    this.observer = observer;
  }

  override init(): void {
    this._setListeners(() => {
      const { maxClients } = this._server.options;
      if (maxClients && this._server.connections.size > maxClients)
        return this.send(421, `${this.name} Too many connected clients, try again in a moment`, false);
      // Until connectionReady runs, smtp-server answers any command with 421 "You talk too soon".
      if (this.greetingDelayMs === 0) return this.connectionReady();
      setTimeout(() => this.connectionReady(), this.greetingDelayMs).unref();
    });
  }

  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    this.observer?.replied(code);
    super.send(code, data, context);
  }
}

/** An SMTPServer whose connections greet after the configured delay (0: at once) and report to an observer. */
export class PostboxSmtpServer extends SMTPServer {
  readonly greetingDelayMs: number;
  readonly observer: SmtpObserver | undefined;

  constructor(options: PostboxSmtpServerOptions) {
    const { greetingDelayMs, observer, ...smtpOptions } = options;
    super(smtpOptions);
    this.greetingDelayMs = greetingDelayMs;
    this.observer = observer;
  }

  /** smtp-server's connect(), with our connection class. */
  override connect(socket: net.Socket | tls.TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    const connection = new GreetingConnection(
      this,
      socket,
      socketOptions,
      this.greetingDelayMs,
      this.observer,
    );
    const observer = this.observer;
    if (observer) {
      observer.opened();
      socket.once("close", () => observer.closed());
    }
    this.connections.add(connection);
    connection.on("error", (err: Error) => this._onError(err));
    connection.on("connect", (data) => this._onClientConnect(data));
    connection.init();
  }
}
