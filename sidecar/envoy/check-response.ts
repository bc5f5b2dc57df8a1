// Builds the envoy.service.auth.v3.CheckResponse for an HTTP outcome, as a
// plain typed value; check-response-codec.ts puts it on the wire.
import type { HttpOutcome } from '../response/http-response.js';

const RPC_OK = 0;
const RPC_PERMISSION_DENIED = 7;
const RPC_UNAUTHENTICATED = 16;
const RPC_UNAVAILABLE = 14;

/** Decision facts for Envoy's dynamic metadata (visible to access logs and later filters). */
export type DecisionMetadata = Record<string, string | number | string[]>;

export type HeaderPair = readonly [name: string, value: string];

/** The parts of CheckResponse this sidecar sets. Headers are always sent with OVERWRITE_IF_EXISTS_OR_ADD. */
export type CheckResponseMessage =
  | { readonly rpcCode: typeof RPC_OK; readonly ok: { readonly headers: readonly HeaderPair[]; readonly headersToRemove: readonly string[] }; readonly metadata: DecisionMetadata }
  | { readonly rpcCode: number; readonly denied: { readonly httpStatus: number; readonly headers: readonly HeaderPair[]; readonly body: string }; readonly metadata: DecisionMetadata };

export function toCheckResponse(outcome: HttpOutcome, facts: DecisionMetadata): CheckResponseMessage {
  if (outcome.kind === 'allow') {
    return { rpcCode: RPC_OK, ok: { headers: outcome.setHeaders, headersToRemove: outcome.removeHeaders }, metadata: facts };
  }
  return {
    rpcCode: outcome.status === 401 ? RPC_UNAUTHENTICATED : RPC_PERMISSION_DENIED,
    denied: { httpStatus: outcome.status, headers: outcome.headers, body: outcome.body },
    metadata: facts,
  };
}

/** Sent if the pipeline itself fails to produce a response: refuse with 503. */
export const LAST_RESORT_RESPONSE: CheckResponseMessage = {
  rpcCode: RPC_UNAVAILABLE,
  denied: { httpStatus: 503, headers: [['content-type', 'application/problem+json']], body: '{"title":"Authorization unavailable","status":503}' },
  metadata: {},
};
