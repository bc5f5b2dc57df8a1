// The parts of core/v1 Pod that injection reads or writes. Everything else in
// a pod passes through untouched (the types stay open with an index signature).

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
  hostPort?: number;
  [key: string]: unknown;
}

export interface Handler {
  httpGet?: { port: number | string; [key: string]: unknown };
  tcpSocket?: { port: number | string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  ports?: ContainerPort[];
  livenessProbe?: Handler;
  readinessProbe?: Handler;
  startupProbe?: Handler;
  lifecycle?: { postStart?: Handler; preStop?: Handler; [key: string]: unknown };
  [key: string]: unknown;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec?: {
    containers: Container[];
    initContainers?: Container[];
    volumes?: Record<string, unknown>[];
    hostNetwork?: boolean;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Annotations and labels the webhook reads or writes. */
export const KEYS = {
  /** Label on a namespace or pod: "enabled" asks for injection, "disabled" refuses it. Also an opt-out annotation. */
  inject: 'stepup.dev/inject',
  /** Pod annotation: comma-separated names of the container ports Envoy takes over. */
  ports: 'stepup.dev/ports',
  /** Pod annotation: route context for policies, "environment=production,dataClass=pii". */
  routeContext: 'stepup.dev/route-context',
  /** Set by the webhook: the settings version that injected the pod. */
  injected: 'stepup.dev/injected',
  /** Set by the webhook: original-name=renamed-name:port of every taken-over port. */
  takenPorts: 'stepup.dev/taken-ports',
  /** Set by the webhook: the controller's public key, projected into the sidecar as a file. */
  controllerPublicKey: 'stepup.dev/controller-public-key',
  /** Label set by the webhook on every injected pod (selected by the Istio AuthorizationPolicy and the NetworkPolicy). */
  protected: 'stepup.dev/protected',
  /** kubectl's default container for logs and exec: the app, not the sidecar. */
  defaultContainer: 'kubectl.kubernetes.io/default-container',
} as const;

export const SIDECAR_NAME = 'stepup-sidecar';
export const ENVOY_NAME = 'stepup-envoy';
export const STATE_VOLUME = 'stepup-state';
export const IDENTITY_VOLUME = 'stepup-identity';
