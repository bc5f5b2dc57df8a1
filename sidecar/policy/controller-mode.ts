// Wires controller mode from the sidecar's config: trusted keys, the identity
// proof, the Hello, and the stream to the controller.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { parseLabels } from '../../common/label-selector.js';
import { publicKeysFromPem } from '../../common/distribution/signing.js';
import type { SidecarConfig } from '../config.js';
import { ControllerPolicySource, type ControllerSourceOptions } from './controller-policy-source.js';
import type { SnapshotTrust } from './snapshot-loader.js';

/** Whom snapshots must come from: the controller's keys (none with --insecure) and this pod's namespace. */
export function snapshotTrust(config: SidecarConfig): SnapshotTrust {
  const namespace = config.podNamespace as string;
  if (config.insecure) return { namespace };
  const file = config.controllerPublicKey as string;
  try {
    return { namespace, keys: publicKeysFromPem(readFileSync(file, 'utf8')) };
  } catch (err) {
    throw new Error(`--controller-public-key ${file}: ${(err as Error).message}`);
  }
}

export function startControllerMode(
  config: SidecarConfig,
  agentVersion: string,
  log: Logger,
  handlers: Pick<ControllerSourceOptions, 'onSet' | 'onReject'>,
): ControllerPolicySource {
  const namespace = config.podNamespace as string;
  if (config.insecure) {
    log.warn('INSECURE MODE: no pod identity is sent to the controller and snapshot signatures are NOT checked. For local development only; never in a cluster.');
  }
  const trust = snapshotTrust(config);
  const labels = config.podLabels ? parseLabels(config.podLabels) : {};
  const hello = () => ({
    podName: config.podName as string,
    podNamespace: namespace,
    labels,
    identityToken: config.insecure ? '' : readFileSync(config.identityTokenFile, 'utf8').trim(),
    agentVersion,
  });
  const source = new ControllerPolicySource({
    addresses: config.controller ?? [],
    trust,
    stateDir: config.stateDir as string,
    hello,
    credentials: grpc.credentials.createInsecure(),
    reconnectMaxMs: config.reconnectMaxMs,
    log: log.child({ part: 'distribution' }),
    ...handlers,
  });
  source.start();
  return source;
}
