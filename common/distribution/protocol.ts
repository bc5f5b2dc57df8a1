// The policy distribution protocol (proto/stepup/distribution/v1), loaded at
// run time with @grpc/proto-loader, and the plain message shapes both ends use.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { packageRoot } from '../package-root.js';

export const PROTO_FILE = join('proto', 'stepup', 'distribution', 'v1', 'distribution.proto');

export interface HelloMessage {
  podName: string;
  podNamespace: string;
  labels: Record<string, string>;
  identityToken: string;
  currentVersion: string;
  agentVersion: string;
}

export interface SnapshotMessage {
  version: string;
  namespace: string;
  policies: string[];
  signature: Buffer;
  keyId: string;
}

export type SidecarMessage =
  | { kind: 'hello'; hello: HelloMessage }
  | { kind: 'ack'; ack: { version: string } }
  | { kind: 'nack'; nack: { version: string; error: string } };

export type ControllerMessage = { kind: 'snapshot'; snapshot: SnapshotMessage };

/** Matches the oneof layout proto-loader produces with `oneofs: true`. */
export type WireSidecarMessage = Partial<{ hello: HelloMessage; ack: { version: string }; nack: { version: string; error: string } }> & { kind?: string };
export type WireControllerMessage = { snapshot?: SnapshotMessage; kind?: string };

export interface DistributionClient extends grpc.Client {
  Stream(options?: grpc.CallOptions): grpc.ClientDuplexStream<WireSidecarMessage, WireControllerMessage>;
}

interface Loaded {
  service: grpc.ServiceDefinition;
  Client: new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => DistributionClient;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const definition = protoLoader.loadSync(join(packageRoot(), PROTO_FILE), { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    stepup: { distribution: { v1: { PolicyDistribution: Loaded['Client'] & { service: grpc.ServiceDefinition } } } };
  };
  const ctor = pkg.stepup.distribution.v1.PolicyDistribution;
  loaded = { service: ctor.service, Client: ctor };
  return loaded;
}

/** The PolicyDistribution service definition, for a grpc.Server. */
export function distributionService(): grpc.ServiceDefinition {
  return load().service;
}

/** A client for the PolicyDistribution service at `address` (host:port). */
export function distributionClient(address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions): DistributionClient {
  return new (load().Client)(address, credentials, options);
}

/** Narrows a wire message to the discriminated form; undefined for an empty or unknown one. */
export function readSidecarMessage(msg: WireSidecarMessage): SidecarMessage | undefined {
  if (msg.kind === 'hello' && msg.hello) return { kind: 'hello', hello: msg.hello };
  if (msg.kind === 'ack' && msg.ack) return { kind: 'ack', ack: msg.ack };
  if (msg.kind === 'nack' && msg.nack) return { kind: 'nack', nack: msg.nack };
  return undefined;
}
