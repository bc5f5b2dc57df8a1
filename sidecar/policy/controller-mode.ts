// Wires controller mode from the sidecar's config: trusted keys, the identity
// proof, the Hello, and the stream to the controller.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { parseLabels } from '../../common/label-selector.js';
import { publicKeysFromPem } from '../../common/distribution/signing.js';
import type { PolicySet } from '../../common/policy/policy-set.js';
import type { SidecarConfig } from '../config.js';
import { ControllerPolicySource } from './controller-policy-source.js';

export function startControllerMode(
  config: SidecarConfig,
  agentVersion: string,
  log: Logger,
  handlers: { onSet: (set: PolicySet, from: 'controller' | 'disk') => void; onReject: (version: string, reason: string) => void },
): ControllerPolicySource {
  const namespace = config.podNamespace as string;
  let keys;
  if (config.insecure) {
    log.warn('INSECURE MODE: no pod identity is sent to the controller and snapshot signatures are NOT checked. For local development only; never in a cluster.');
  } else {
    const file = config.controllerPublicKey as string;
    try {
      keys = publicKeysFromPem(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`--controller-public-key ${file}: ${(err as Error).message}`);
    }
  }
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
    trust: { namespace, ...(keys ? { keys } : {}) },
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
