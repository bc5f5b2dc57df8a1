// Whether the Redis store can be used: unhealthy from the first failed read
// or write, a lost connection or a client error, until the connection is
// ready again and a read or a probe (PING, once a second) succeeds. While
// unhealthy, writes are dropped; reads are still tried when the connection is
// up (and fail fast when it is not), so recovery needs no traffic of its own.
import type { Cluster, Redis } from 'ioredis';

export interface HealthListener {
  (healthy: boolean, reason: string): void;
}

export class StoreHealth {
  private ok = false;
  private reason = 'connecting';
  private readonly timer: NodeJS.Timeout;
  private probing = false;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly onChange: HealthListener,
    probeMs = 1000,
  ) {
    client.on('ready', () => this.succeeded());
    client.on('error', (err: Error) => this.failed(err.message));
    client.on('close', () => this.failed('connection closed'));
    client.on('end', () => this.failed('connection ended'));
    this.timer = setInterval(() => this.probe(), probeMs);
    this.timer.unref();
  }

  healthy(): boolean {
    return this.ok;
  }

  state(): { healthy: boolean; reason: string } {
    return { healthy: this.ok, reason: this.reason };
  }

  failed(reason: string): void {
    const changed = this.ok || this.reason !== reason;
    this.ok = false;
    this.reason = reason;
    if (changed) this.onChange(false, reason);
  }

  succeeded(): void {
    if (this.ok) return;
    this.ok = true;
    this.reason = '';
    this.onChange(true, '');
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private probe(): void {
    if (this.ok || this.probing || this.client.status !== 'ready') return;
    this.probing = true;
    this.client.ping().then(
      () => this.succeeded(),
      (err: Error) => this.failed(err.message),
    ).finally(() => (this.probing = false));
  }
}
