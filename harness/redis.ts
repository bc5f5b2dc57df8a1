// Runs a real redis-server on a free loopback port for the tests and the
// benchmarks (installed by scripts/provision.sh --redis). No persistence: a
// restart starts empty. pause()/resume() freeze it with SIGSTOP/SIGCONT, the
// way a hung server looks to its clients.
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { delimiter, join } from 'node:path';
import { freePort, startProcess, waitFor, type Running } from './processes.js';

export interface RedisHandle {
  readonly port: number;
  readonly url: string;
  /** The running server (replaced by restart). */
  process(): Running;
  /** SIGSTOP: the server keeps its sockets but answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Stops the server (it loses everything). */
  stop(): Promise<void>;
  /** Starts a fresh, empty server on the same port. */
  start(): Promise<void>;
}

/** redis-server from PATH or $STEPUP_REDIS_SERVER; throws with what to run when it is missing. */
export function redisBinary(): string {
  if (process.env.STEPUP_REDIS_SERVER) return process.env.STEPUP_REDIS_SERVER;
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/bin', '/usr/sbin', '/usr/local/bin'])) {
    const candidate = join(dir, 'redis-server');
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error('redis-server is not installed. Run: bash scripts/provision.sh --redis (it installs the Debian package redis-server), or set STEPUP_REDIS_SERVER.');
}

/** Sends PING over a raw socket; true on +PONG. */
export function ping(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

export async function startRedis(): Promise<RedisHandle> {
  const port = await freePort();
  const binary = redisBinary();
  let proc: Running | undefined;
  let paused = false;
  const start = async () => {
    proc = startProcess('redis-server', binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning']);
    await waitFor('redis-server to answer PING', () => ping(port), 10_000, proc);
  };
  await start();
  const current = () => {
    if (!proc) throw new Error('redis-server is not running');
    return proc;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: current,
    pause: () => {
      current().child.kill('SIGSTOP');
      paused = true;
    },
    resume: () => {
      current().child.kill('SIGCONT');
      paused = false;
    },
    stop: async () => {
      if (paused) current().child.kill('SIGCONT');
      paused = false;
      await proc?.stop();
      proc = undefined;
    },
    start,
  };
}
