// Builds the envoy.service.auth.v3.CheckResponse for an HTTP outcome.
import type { HttpOutcome } from '../response/http-response.js';

const RPC_OK = 0;
const RPC_PERMISSION_DENIED = 7;
const RPC_UNAUTHENTICATED = 16;

type StructValue = { stringValue: string } | { numberValue: number } | { listValue: { values: StructValue[] } };

/** Decision facts for Envoy's dynamic metadata (visible to access logs and later filters). */
export type DecisionMetadata = Record<string, string | number | string[]>;

function toStruct(facts: DecisionMetadata): { fields: Record<string, StructValue> } {
  const fields: Record<string, StructValue> = {};
  for (const [k, v] of Object.entries(facts)) {
    fields[k] = Array.isArray(v) ? { listValue: { values: v.map((s) => ({ stringValue: s })) } } : typeof v === 'number' ? { numberValue: v } : { stringValue: v };
  }
  return { fields };
}

function headerOptions(headers: readonly [string, string][]) {
  return headers.map(([key, value]) => ({ header: { key, value }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' }));
}

export function toCheckResponse(outcome: HttpOutcome, facts: DecisionMetadata): Record<string, unknown> {
  const dynamicMetadata = toStruct(facts);
  if (outcome.kind === 'allow') {
    return {
      status: { code: RPC_OK },
      okResponse: { headers: headerOptions(outcome.setHeaders), headersToRemove: outcome.removeHeaders },
      dynamicMetadata,
    };
  }
  return {
    status: { code: outcome.status === 401 ? RPC_UNAUTHENTICATED : RPC_PERMISSION_DENIED },
    deniedResponse: { status: { code: outcome.status }, headers: headerOptions(outcome.headers), body: outcome.body },
    dynamicMetadata,
  };
}
