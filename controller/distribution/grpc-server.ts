// The PolicyDistribution gRPC edge: one stream per sidecar. Waits for the
// Hello, establishes who the sidecar is, registers a session, and feeds ACKs
// and NACKs into it. Transport only: the rules live in the session.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { distributionService, readSidecarMessage, type HelloMessage, type WireControllerMessage, type WireSidecarMessage } from '../../common/distribution/protocol.js';
import type { Distributor } from './distributor.js';
import { SidecarSession, type SidecarIdentity } from './sidecar-session.js';
import type { Snapshot } from './snapshot-builder.js';

export interface DistributionDeps {
  readonly distributor: Distributor;
  /** Resolves the sidecar's identity from its Hello; throws to refuse it. */
  readonly authenticate: (hello: HelloMessage) => Promise<SidecarIdentity>;
  readonly log: Logger;
  readonly helloTimeoutMs: number;
  readonly onEvent?: (event: 'connected' | 'refused' | 'sent' | 'ack' | 'nack' | 'stale') => void;
}

type Call = grpc.ServerDuplexStream<WireSidecarMessage, WireControllerMessage>;

function fail(call: Call, code: grpc.status, details: string): void {
  call.emit('error', { code, details });
}

function toWire(snapshot: Snapshot): WireControllerMessage {
  const { version, namespace, policies, signature, keyId } = snapshot;
  return { snapshot: { version, namespace, policies, signature, keyId } };
}

function handleStream(call: Call, deps: DistributionDeps): void {
  let session: SidecarSession | undefined;
  let helloSeen = false;
  const timer = setTimeout(() => fail(call, grpc.status.DEADLINE_EXCEEDED, 'no Hello received'), deps.helloTimeoutMs);
  const close = () => {
    clearTimeout(timer);
    if (session) deps.distributor.remove(session);
    session = undefined;
  };
  call.on('data', (wire: WireSidecarMessage) => {
    const msg = readSidecarMessage(wire);
    if (!msg) return fail(call, grpc.status.INVALID_ARGUMENT, 'empty or unknown message');
    if (msg.kind === 'hello') {
      if (helloSeen) return fail(call, grpc.status.FAILED_PRECONDITION, 'Hello sent twice');
      helloSeen = true;
      return void start(call, msg.hello, deps, timer).then((s) => {
        if (!s) return;
        if (call.cancelled || call.destroyed) return void deps.distributor.remove(s);
        session = s;
      });
    }
    if (!session) return fail(call, grpc.status.FAILED_PRECONDITION, 'the first message must be Hello');
    const { podName, namespace } = session.identity;
    if (msg.kind === 'ack') {
      const fresh = session.ack(msg.ack.version);
      deps.onEvent?.(fresh ? 'ack' : 'stale');
      deps.log.debug({ pod: `${namespace}/${podName}`, version: msg.ack.version, stale: !fresh }, 'ACK');
    } else {
      const fresh = session.nack(msg.nack.version, msg.nack.error);
      deps.onEvent?.('nack');
      deps.log.warn({ pod: `${namespace}/${podName}`, version: msg.nack.version, err: msg.nack.error, stale: !fresh }, 'NACK: the sidecar refused a snapshot; it will not be sent again');
    }
    deps.distributor.answered();
  });
  call.on('end', () => {
    close();
    call.end();
  });
  call.on('error', close);
  call.on('cancelled', close);
  call.on('close', close);
}

async function start(call: Call, hello: HelloMessage, deps: DistributionDeps, timer: NodeJS.Timeout): Promise<SidecarSession | undefined> {
  let identity: SidecarIdentity;
  try {
    identity = await deps.authenticate(hello);
  } catch (err) {
    clearTimeout(timer);
    deps.onEvent?.('refused');
    deps.log.warn({ pod: `${hello.podNamespace}/${hello.podName}`, err: (err as Error).message }, 'sidecar refused');
    fail(call, grpc.status.UNAUTHENTICATED, (err as Error).message);
    return undefined;
  }
  clearTimeout(timer);
  const send = (snapshot: Snapshot) => {
    deps.onEvent?.('sent');
    call.write(toWire(snapshot));
  };
  const session = new SidecarSession(identity, send, hello.currentVersion);
  deps.onEvent?.('connected');
  deps.log.info({ pod: `${identity.namespace}/${identity.podName}`, labels: identity.labels, current: hello.currentVersion || undefined, agent: hello.agentVersion || undefined }, 'sidecar connected');
  deps.distributor.add(session);
  return session;
}

export async function startDistributionServer(address: string, deps: DistributionDeps): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server({ 'grpc.keepalive_time_ms': 20_000, 'grpc.keepalive_timeout_ms': 5_000, 'grpc.keepalive_permit_without_calls': 1, 'grpc.http2.min_ping_interval_without_data_ms': 5_000 });
  server.addService(distributionService(), { Stream: (call: Call) => handleStream(call, deps) });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(new Error(`cannot listen on ${address}: ${err.message}`)) : resolve(p)));
  });
  return { server, port };
}
