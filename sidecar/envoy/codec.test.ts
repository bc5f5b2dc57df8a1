import { describe, expect, it } from 'vitest';
import { checkRequestObject } from '../../bench/check-request.js';
import { AUTHORIZATION_SERVICE, CHECK_PATH } from '../server/grpc-server.js';
import type { CheckRequestMessage } from './check-request.js';
import { decodeCheckRequest } from './check-request-codec.js';
import { LAST_RESORT_RESPONSE, type CheckResponseMessage } from './check-response.js';
import { encodeCheckResponse } from './check-response-codec.js';
import { loadAuthorizationService } from './protos.js';
import { WireError } from './wire-reader.js';

// The reference: protobufjs through @grpc/proto-loader, with the very Envoy protos.
const reference = loadAuthorizationService().Check!;
const encodeRequest = (obj: unknown): Buffer => reference.requestSerialize(obj);
const decodeRequest = (buf: Buffer): any => reference.requestDeserialize(buf);
const decodeResponse = (buf: Buffer): any => reference.responseDeserialize(buf);

/** What the reference decoder yields for the fields the sidecar reads: the expected output of decodeCheckRequest. */
function projection(full: any): CheckRequestMessage {
  const out: any = {};
  const a = full.attributes;
  if (!a) return out;
  out.attributes = {};
  const sock = a.source?.address?.socketAddress;
  if (a.source) out.attributes.source = a.source.address ? { address: sock ? { socketAddress: sock.address !== undefined ? { address: sock.address } : {} } : {} } : {};
  if (a.request) {
    out.attributes.request = {};
    const h = a.request.http;
    if (h) {
      const http: any = {};
      for (const k of ['id', 'method', 'headers', 'path', 'host', 'scheme', 'body', 'rawBody']) if (h[k] !== undefined) http[k] = h[k];
      out.attributes.request.http = http;
    }
  }
  if (a.contextExtensions && Object.keys(a.contextExtensions).length > 0) out.attributes.contextExtensions = a.contextExtensions;
  return out;
}

/** A small deterministic generator, so a failure reproduces. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomText(rand: () => number, max: number): string {
  const alphabet = ['a', 'Z', '0', '-', ':', '/', ' ', 'é', '€', '😀', '\u0000', '"'];
  let s = '';
  const n = Math.floor(rand() * max);
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}

function randomRequest(rand: () => number): Record<string, unknown> {
  const maybe = <T>(v: () => T): T | undefined => (rand() < 0.7 ? v() : undefined);
  const map = () => Object.fromEntries(Array.from({ length: Math.floor(rand() * 6) }, () => [randomText(rand, 12) || 'k', randomText(rand, 30)]));
  const http = {
    id: maybe(() => randomText(rand, 20)),
    method: maybe(() => randomText(rand, 7)),
    headers: maybe(map),
    path: maybe(() => randomText(rand, 40)),
    host: maybe(() => randomText(rand, 20)),
    scheme: maybe(() => randomText(rand, 5)),
    query: maybe(() => randomText(rand, 10)),
    size: maybe(() => String(Math.floor(rand() * 1e6))),
    protocol: maybe(() => 'HTTP/2'),
    body: maybe(() => randomText(rand, 50)),
    rawBody: maybe(() => Buffer.from(randomText(rand, 50))),
  };
  return {
    attributes: {
      source: maybe(() => ({ address: maybe(() => ({ socketAddress: { address: randomText(rand, 15), portValue: Math.floor(rand() * 65535) } })), principal: maybe(() => randomText(rand, 10)) })),
      destination: maybe(() => ({ address: { socketAddress: { address: '192.0.2.1', portValue: 8080 } }, labels: map() })),
      request: maybe(() => ({ time: { seconds: '1700000000', nanos: 5 }, http: maybe(() => http) })),
      contextExtensions: maybe(map),
      metadataContext: maybe(() => ({ filterMetadata: { a: { fields: { x: { stringValue: 'y' } } } } })),
      tlsSession: maybe(() => ({ sni: randomText(rand, 10) })),
    },
  };
}

describe('decodeCheckRequest', () => {
  it('reads the fields of the benchmark request exactly as protobufjs does', () => {
    const buf = encodeRequest(checkRequestObject('eyJhbGciOiJFUzI1NiJ9.e30.c2ln', 7));
    const ours = decodeCheckRequest(buf);
    expect(ours).toEqual(projection(decodeRequest(buf)));
    expect(ours.attributes?.request?.http?.headers?.authorization).toBe('Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln');
    expect(ours.attributes?.request?.http?.rawBody?.toString()).toContain('"amount":250');
    expect(ours.attributes?.source?.address?.socketAddress?.address).toBe('192.0.2.10');
    expect(ours.attributes?.contextExtensions).toEqual({ environment: 'production', dataClass: 'financial' });
  });

  it('agrees with protobufjs on 2,000 random requests (unknown fields skipped, UTF-8 kept)', () => {
    const rand = prng(20261204);
    for (let i = 0; i < 2000; i++) {
      const buf = encodeRequest(randomRequest(rand));
      expect(decodeCheckRequest(buf), `request #${i}`).toEqual(projection(decodeRequest(buf)));
    }
  });

  it('merges a message sent twice, as the protobuf encoding specifies (last scalar wins, messages and maps merge)', () => {
    // protobufjs replaces a repeated message field instead of merging it, so the expectation is the merge
    // of the two halves, each decoded by the reference.
    const merge = (a: any, b: any): any => {
      if (b === undefined) return a;
      if (a === undefined || typeof b !== 'object' || Buffer.isBuffer(b)) return b;
      const out: any = { ...a };
      for (const k of Object.keys(b)) out[k] = merge(a[k], b[k]);
      return out;
    };
    const rand = prng(7);
    for (let i = 0; i < 300; i++) {
      const first = encodeRequest(randomRequest(rand));
      const second = encodeRequest(randomRequest(rand));
      const expected = merge(projection(decodeRequest(first)), projection(decodeRequest(second)));
      expect(decodeCheckRequest(Buffer.concat([first, second])), `pair #${i}`).toEqual(expected);
    }
  });

  it('an empty message has no attributes', () => {
    expect(decodeCheckRequest(Buffer.alloc(0))).toEqual({});
  });

  it('refuses every truncation of a request', () => {
    const buf = encodeRequest(checkRequestObject('a.b.c', 1));
    // The whole request is one length-delimited field: any cut inside it leaves that length running past the end.
    for (let cut = 1; cut < buf.length; cut++) expect(() => decodeCheckRequest(buf.subarray(0, cut)), `cut at ${cut}`).toThrow(WireError);
  });

  it('refuses a nested length that runs past its enclosing message, even when the buffer is long enough', () => {
    // attributes(1) { request(4) { http(2) { method(2): length 10 but only 3 bytes inside http } } } followed by filler.
    const method = Buffer.from([0x12, 10, 0x47, 0x45, 0x54]);
    const http = Buffer.concat([Buffer.from([0x12, method.length]), method]);
    const request = Buffer.concat([Buffer.from([0x22, http.length]), http]);
    const attributes = Buffer.concat([Buffer.from([0x0a, request.length]), request, Buffer.alloc(20, 0x41)]);
    expect(() => decodeCheckRequest(attributes)).toThrow(/past the end/);
  });

  it.each([
    ['a group (wire type 3)', [0x0b]],
    ['wire type 6', [0x0e]],
    ['field number 0', [0x02, 0x00]],
    ['a varint longer than 10 bytes', [0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['a length larger than 32 bits', [0x0a, 0xff, 0xff, 0xff, 0xff, 0x7f]],
  ])('refuses %s', (_name, bytes) => {
    expect(() => decodeCheckRequest(Buffer.from(bytes))).toThrow(WireError);
  });

  it('skips a known field number sent with another wire type, as an unknown field', () => {
    // attributes (field 1) sent as a varint: not a message, so not read.
    expect(decodeCheckRequest(Buffer.from([0x08, 0x05]))).toEqual({});
  });

  it("a '__proto__' header is an own property and leaves the prototype alone", () => {
    // Built by hand: an object literal cannot carry an own '__proto__' key to the reference encoder.
    const key = Buffer.from('__proto__');
    const value = Buffer.from('polluted');
    const entry = Buffer.concat([Buffer.from([0x0a, key.length]), key, Buffer.from([0x12, value.length]), value]);
    const http = Buffer.concat([Buffer.from([0x1a, entry.length]), entry]);
    const request = Buffer.concat([Buffer.from([0x12, http.length]), http]);
    const attributes = Buffer.concat([Buffer.from([0x22, request.length]), request]);
    const msg = Buffer.concat([Buffer.from([0x0a, attributes.length]), attributes]);
    const headers = decodeCheckRequest(msg).attributes?.request?.http?.headers as Record<string, string>;
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.hasOwn(headers, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toBe('polluted');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('encodeCheckResponse', () => {
  const allow: CheckResponseMessage = {
    rpcCode: 0,
    ok: { headers: [['x-stepup-subject', 'alice'], ['x-stepup-acr', 'urn:mfa']], headersToRemove: ['x-stepup-amr', 'x-stepup-auth-time'] },
    metadata: { decision_id: 'd-1', outcome: 'allow', rules: ['p/a', 'p/b'], empty: [], score: 42.5, policy_version: 'v1' },
  };
  const challenge: CheckResponseMessage = {
    rpcCode: 16,
    denied: { httpStatus: 401, headers: [['www-authenticate', 'Bearer error="insufficient_user_authentication", acr_values="mfa"'], ['content-type', 'application/problem+json']], body: '{"title":"Step-up required","status":401,"detail":"naïve €"}' },
    metadata: { decision_id: 'd-2', outcome: 'challenge' },
  };
  const redirect: CheckResponseMessage = { rpcCode: 7, denied: { httpStatus: 302, headers: [['location', 'https://idp/authorize']], body: '' }, metadata: {} };

  const header = (key: string, value: string) => ({ header: { key, value }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' });

  it('an allow decodes, with protobufjs, to the ok_response, headers and metadata meant', () => {
    const decoded = decodeResponse(encodeCheckResponse(allow));
    expect(decoded.status).toEqual({});
    expect(decoded.deniedResponse).toBeUndefined();
    expect(decoded.okResponse.headers).toEqual([header('x-stepup-subject', 'alice'), header('x-stepup-acr', 'urn:mfa')]);
    expect(decoded.okResponse.headersToRemove).toEqual(['x-stepup-amr', 'x-stepup-auth-time']);
    expect(decoded.dynamicMetadata.fields).toEqual({
      decision_id: { stringValue: 'd-1', kind: 'stringValue' },
      outcome: { stringValue: 'allow', kind: 'stringValue' },
      rules: { listValue: { values: [{ stringValue: 'p/a', kind: 'stringValue' }, { stringValue: 'p/b', kind: 'stringValue' }] }, kind: 'listValue' },
      empty: { listValue: {}, kind: 'listValue' },
      score: { numberValue: 42.5, kind: 'numberValue' },
      policy_version: { stringValue: 'v1', kind: 'stringValue' },
    });
  });

  it('a challenge decodes to UNAUTHENTICATED with the 401, its headers and its body', () => {
    const decoded = decodeResponse(encodeCheckResponse(challenge));
    expect(decoded.status).toEqual({ code: 16 });
    expect(decoded.okResponse).toBeUndefined();
    expect(decoded.deniedResponse).toEqual({
      status: { code: 'Unauthorized' },
      headers: [header('www-authenticate', 'Bearer error="insufficient_user_authentication", acr_values="mfa"'), header('content-type', 'application/problem+json')],
      body: '{"title":"Step-up required","status":401,"detail":"naïve €"}',
    });
    expect(decoded.dynamicMetadata.fields.outcome).toEqual({ stringValue: 'challenge', kind: 'stringValue' });
  });

  it('a redirect has no body, and the last-resort answer is a 503 with UNAVAILABLE', () => {
    const r = decodeResponse(encodeCheckResponse(redirect));
    expect(r.status).toEqual({ code: 7 });
    expect(r.deniedResponse.status).toEqual({ code: 'Found' });
    expect(r.deniedResponse.body).toBeUndefined();
    const last = decodeResponse(encodeCheckResponse(LAST_RESORT_RESPONSE));
    expect(last.status).toEqual({ code: 14 });
    expect(last.deniedResponse.status).toEqual({ code: 'ServiceUnavailable' });
    expect(last.deniedResponse.headers).toEqual([header('content-type', 'application/problem+json')]);
  });

  it('a response larger than the scratch buffer, with multi-byte lengths, decodes intact', () => {
    const body = `{"detail":"${'é€😀 x'.repeat(12_000)}"}`;
    const big: CheckResponseMessage = { rpcCode: 7, denied: { httpStatus: 403, headers: Array.from({ length: 300 }, (_, i) => [`x-h-${i}`, 'v'.repeat(i)] as const), body }, metadata: { rules: Array.from({ length: 500 }, (_, i) => `p/r${i}`) } };
    const decoded = decodeResponse(encodeCheckResponse(big));
    expect(decoded.deniedResponse.body).toBe(body);
    expect(decoded.deniedResponse.headers).toHaveLength(300);
    expect(decoded.deniedResponse.headers[299]).toEqual(header('x-h-299', 'v'.repeat(299)));
    expect(decoded.dynamicMetadata.fields.rules.listValue.values).toHaveLength(500);
    // and the next, small, response is unaffected by the grown scratch buffer
    expect(decodeResponse(encodeCheckResponse(redirect)).deniedResponse.headers).toEqual([header('location', 'https://idp/authorize')]);
  });

  it('is byte for byte what protobufjs writes for the same response', () => {
    const asObject = (m: CheckResponseMessage) => ({
      status: m.rpcCode === 0 ? {} : { code: m.rpcCode },
      ...('ok' in m
        ? { okResponse: { headers: m.ok.headers.map(([k, v]) => header(k, v)), headersToRemove: m.ok.headersToRemove } }
        : { deniedResponse: { status: { code: m.denied.httpStatus }, headers: m.denied.headers.map(([k, v]) => header(k, v)), ...(m.denied.body ? { body: m.denied.body } : {}) } }),
      dynamicMetadata: {
        fields: Object.fromEntries(
          Object.entries(m.metadata).map(([k, v]) => [k, Array.isArray(v) ? { listValue: { values: v.map((s) => ({ stringValue: s })) } } : typeof v === 'number' ? { numberValue: v } : { stringValue: v }]),
        ),
      },
    });
    for (const m of [allow, challenge, redirect, LAST_RESORT_RESPONSE]) {
      expect(encodeCheckResponse(m).equals(reference.responseSerialize(asObject(m)))).toBe(true);
    }
  });
});

describe('AUTHORIZATION_SERVICE', () => {
  it('serves the same method path as the Envoy proto', () => {
    expect(CHECK_PATH).toBe(reference.path);
    expect(AUTHORIZATION_SERVICE.Check?.path).toBe(reference.path);
  });
});
