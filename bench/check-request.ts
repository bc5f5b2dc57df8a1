// The CheckRequest of perf.md, shaped after what Envoy 1.40 sends with
// deploy/envoy/envoy.yaml (with_request_body, pack_as_bytes): a POST with a
// small JSON body in raw_body, 15 headers (pseudo-headers included), an ES256
// bearer token, the route's context_extensions. About 1.5 KB on the wire.
//
// Two spellings of the same message: proto3 JSON for ghz (--data-file), and
// the @grpc/proto-loader object form for grpc-js clients (sanity checks, size).

export const REQUEST_BODY = JSON.stringify({ amount: 250, currency: 'EUR', creditorIban: 'DE02120300000000202051', reference: 'Invoice 2024-0117' });
export const REQUEST_PATH = '/v1/transfers';
export const REQUEST_HOST = 'payments.shop.svc.cluster.local';
// Documentation addresses (RFC 5737): data inside the message, never dialled.
const CLIENT_ADDRESS = '192.0.2.44';
const PEER_ADDRESS = '192.0.2.10';
const POD_ADDRESS = '192.0.2.20';

function headersFor(token: string, requestId: string): Record<string, string> {
  return {
    ':authority': REQUEST_HOST,
    ':method': 'POST',
    ':path': REQUEST_PATH,
    ':scheme': 'https',
    accept: 'application/json',
    'accept-encoding': 'gzip, deflate, br',
    'accept-language': 'en-US,en;q=0.9',
    authorization: `Bearer ${token}`,
    'content-length': String(Buffer.byteLength(REQUEST_BODY)),
    'content-type': 'application/json',
    'user-agent': 'payments-web/3.14.2 (+https://shop.example.com)',
    'x-envoy-auth-partial-body': 'false',
    'x-forwarded-for': CLIENT_ADDRESS,
    'x-forwarded-proto': 'https',
    'x-request-id': requestId,
  };
}

/** A stable request id per index, so runs are reproducible. */
function requestId(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `5f0c8a2e-1d3b-4e6f-8a9b-${hex}`;
}

const CONTEXT_EXTENSIONS = { environment: 'production', dataClass: 'financial' };

/** proto3 JSON (what ghz reads): camelCase names, bytes in base64, int64 and Timestamp as strings. */
export function checkRequestJson(token: string, n: number, time = new Date()): Record<string, unknown> {
  return {
    attributes: {
      source: { address: { socketAddress: { address: PEER_ADDRESS, portValue: 40000 + (n % 20000) } } },
      destination: { address: { socketAddress: { address: POD_ADDRESS, portValue: 8080 } } },
      request: {
        time: time.toISOString(),
        http: {
          id: String(10_000_000_000_000_000_000n + BigInt(n)),
          method: 'POST',
          headers: headersFor(token, requestId(n)),
          path: REQUEST_PATH,
          host: REQUEST_HOST,
          scheme: 'https',
          size: String(Buffer.byteLength(REQUEST_BODY)),
          protocol: 'HTTP/1.1',
          rawBody: Buffer.from(REQUEST_BODY).toString('base64'),
        },
      },
      contextExtensions: CONTEXT_EXTENSIONS,
      metadataContext: {},
    },
  };
}

/** The same message as @grpc/proto-loader objects (Buffer for bytes, {seconds, nanos} for Timestamp). */
export function checkRequestObject(token: string, n: number, time = new Date()): Record<string, unknown> {
  const json = checkRequestJson(token, n, time) as { attributes: { request: { time: unknown; http: Record<string, unknown> } } };
  const ms = time.getTime();
  json.attributes.request.time = { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
  json.attributes.request.http.rawBody = Buffer.from(REQUEST_BODY);
  return json;
}
