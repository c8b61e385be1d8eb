// A local stand-in for Slack's Socket Mode WebSocket (ws:// on 127.0.0.1): greets each connection with `hello`,
// sends envelopes the test scripts, and records what the app sends back (acks) and how the socket closed.
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

/** The slice of the `ws` package used here (it ships no types of its own and @types/ws is not installed). */
interface WsSocket {
  send(data: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): void;
}
interface WsServer {
  on(event: 'connection', listener: (socket: WsSocket, req: IncomingMessage) => void): void;
  on(event: 'listening', listener: () => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  address(): AddressInfo | string | null;
  close(callback?: (err?: Error) => void): void;
}
const { WebSocketServer } = createRequire(import.meta.url)('ws') as { WebSocketServer: new (options: { host: string; port: number }) => WsServer };

/** What the app sent on the socket: Socket Mode acks are `{ envelope_id, payload }`. */
export interface SocketMessage {
  envelope_id?: string;
  payload?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface SocketConnection {
  /** Path and query the client connected with (the ticket from apps.connections.open). */
  path: string;
  received: SocketMessage[];
  /** Set once the client's socket closed. */
  closed?: { code: number; reason: string };
  send(message: unknown): void;
}

export class FakeSlackSocket {
  readonly connections: SocketConnection[] = [];
  private server: WsServer | undefined;
  private readonly sockets = new Set<WsSocket>();
  private listeners: Array<() => void> = [];
  port = 0;

  /** What apps.connections.open answers: Slack's URLs carry a one-time ticket too. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}/link/?ticket=test-ticket&app_id=A0TEST`;
  }

  async start(): Promise<this> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.on('listening', resolve);
      server.on('error', reject);
    });
    this.port = (server.address() as AddressInfo).port;
    server.on('connection', (socket, req) => this.accept(socket, req));
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The message the app sent with this envelope_id (its ack), once it arrives. */
  async ack(connection: SocketConnection, envelopeId: string, timeoutMs = 5000): Promise<SocketMessage> {
    await this.until(() => connection.received.some((m) => m.envelope_id === envelopeId), timeoutMs, `ack of ${envelopeId}`);
    return connection.received.find((m) => m.envelope_id === envelopeId)!;
  }

  /** The n-th connection (0-based), once the client has opened it. */
  async connection(n = 0, timeoutMs = 5000): Promise<SocketConnection> {
    await this.until(() => this.connections.length > n, timeoutMs, `connection #${n}`);
    return this.connections[n]!;
  }

  /** Resolves when the connection's socket has closed; returns the close code and reason. */
  async closed(connection: SocketConnection, timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    await this.until(() => connection.closed !== undefined, timeoutMs, 'socket close');
    return connection.closed!;
  }

  private accept(socket: WsSocket, req: IncomingMessage): void {
    this.sockets.add(socket);
    const connection: SocketConnection = {
      path: req.url ?? '/',
      received: [],
      send: (message) => socket.send(JSON.stringify(message)),
    };
    socket.on('message', (data, isBinary) => {
      if (!isBinary) connection.received.push(JSON.parse(data.toString('utf8')) as SocketMessage);
      this.notify();
    });
    socket.on('close', (code, reason) => {
      this.sockets.delete(socket);
      connection.closed = { code, reason: reason.toString('utf8') };
      this.notify();
    });
    this.connections.push(connection);
    // Slack's first frame on every connection; the client counts itself connected only after it.
    connection.send({ type: 'hello', num_connections: 1, debug_info: { host: 'applink-test', build_number: 1, approximate_connection_time: 18060 }, connection_info: { app_id: 'A0TEST' } });
    this.notify();
  }

  private notify(): void {
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) l();
  }

  /** Waits, event by event, until `done` holds; fails with `what` after `timeoutMs`. */
  private async until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`FakeSlackSocket: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = (): void => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else this.listeners.push(check);
      };
      this.listeners.push(check);
    });
  }
}
