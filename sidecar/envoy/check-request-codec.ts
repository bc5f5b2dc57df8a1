// Decodes an envoy.service.auth.v3.CheckRequest straight from the wire into
// the few fields the decision reads (CheckRequestMessage), skipping the rest
// (destination, metadata, TLS session, time...) without building them.
// Protobuf semantics kept: a message field seen twice is merged, a scalar
// seen twice keeps the last value, a map key seen twice keeps the last entry.
// Field numbers: envoy/service/auth/v3/{external_auth,attribute_context}.proto
// and envoy/config/core/v3/address.proto (in @grpc/grpc-js-xds's deps/).
import type { CheckRequestMessage } from './check-request.js';
import { fieldTag, WIRE_LEN, WireError, WireReader } from './wire-reader.js';

type Attributes = NonNullable<CheckRequestMessage['attributes']>;
type Source = NonNullable<Attributes['source']>;
type Http = NonNullable<NonNullable<Attributes['request']>['http']>;

// Length-delimited tags, by message.
const CHECK_REQUEST_ATTRIBUTES = fieldTag(1, WIRE_LEN);
const ATTRIBUTES_SOURCE = fieldTag(1, WIRE_LEN);
const ATTRIBUTES_REQUEST = fieldTag(4, WIRE_LEN);
const ATTRIBUTES_CONTEXT_EXTENSIONS = fieldTag(10, WIRE_LEN);
const PEER_ADDRESS = fieldTag(1, WIRE_LEN);
const ADDRESS_SOCKET_ADDRESS = fieldTag(1, WIRE_LEN);
const SOCKET_ADDRESS_ADDRESS = fieldTag(2, WIRE_LEN);
const REQUEST_HTTP = fieldTag(2, WIRE_LEN);
const HTTP_ID = fieldTag(1, WIRE_LEN);
const HTTP_METHOD = fieldTag(2, WIRE_LEN);
const HTTP_HEADERS = fieldTag(3, WIRE_LEN);
const HTTP_PATH = fieldTag(4, WIRE_LEN);
const HTTP_HOST = fieldTag(5, WIRE_LEN);
const HTTP_SCHEME = fieldTag(6, WIRE_LEN);
const HTTP_BODY = fieldTag(11, WIRE_LEN);
const HTTP_RAW_BODY = fieldTag(12, WIRE_LEN);
const MAP_KEY = fieldTag(1, WIRE_LEN);
const MAP_VALUE = fieldTag(2, WIRE_LEN);

function readTag(r: WireReader, end: number): number {
  const tag = r.uint32(end);
  if (tag >>> 3 === 0) throw new WireError('field number 0');
  return tag;
}

/** One map<string, string> entry, added to `into` (a later entry for the same key wins). */
function readStringMapEntry(r: WireReader, end: number, into: Record<string, string>): void {
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === MAP_KEY) key = r.string(end);
    else if (tag === MAP_VALUE) value = r.string(end);
    else r.skip(tag & 7, end);
  }
  // '__proto__' becomes an own data property, never a change of prototype (it is a valid header name).
  if (key === '__proto__') Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}

function readSocketAddress(r: WireReader, end: number, into: { address?: string }): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === SOCKET_ADDRESS_ADDRESS) into.address = r.string(end);
    else r.skip(tag & 7, end);
  }
}

function readAddress(r: WireReader, end: number, into: NonNullable<Source['address']>): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === ADDRESS_SOCKET_ADDRESS) readSocketAddress(r, r.lengthEnd(end), (into.socketAddress ??= {}));
    else r.skip(tag & 7, end);
  }
}

function readPeer(r: WireReader, end: number, into: Source): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === PEER_ADDRESS) readAddress(r, r.lengthEnd(end), (into.address ??= {}));
    else r.skip(tag & 7, end);
  }
}

function readHttp(r: WireReader, end: number, into: Http): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    switch (tag) {
      case HTTP_HEADERS:
        readStringMapEntry(r, r.lengthEnd(end), (into.headers ??= {}));
        break;
      case HTTP_ID:
        into.id = r.string(end);
        break;
      case HTTP_METHOD:
        into.method = r.string(end);
        break;
      case HTTP_PATH:
        into.path = r.string(end);
        break;
      case HTTP_HOST:
        into.host = r.string(end);
        break;
      case HTTP_SCHEME:
        into.scheme = r.string(end);
        break;
      case HTTP_BODY:
        into.body = r.string(end);
        break;
      case HTTP_RAW_BODY:
        into.rawBody = r.bytes(end);
        break;
      default:
        r.skip(tag & 7, end);
    }
  }
}

function readRequest(r: WireReader, end: number, into: NonNullable<Attributes['request']>): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === REQUEST_HTTP) readHttp(r, r.lengthEnd(end), (into.http ??= {}));
    else r.skip(tag & 7, end);
  }
}

function readAttributes(r: WireReader, end: number, into: Attributes): void {
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === ATTRIBUTES_REQUEST) readRequest(r, r.lengthEnd(end), (into.request ??= {}));
    else if (tag === ATTRIBUTES_SOURCE) readPeer(r, r.lengthEnd(end), (into.source ??= {}));
    else if (tag === ATTRIBUTES_CONTEXT_EXTENSIONS) readStringMapEntry(r, r.lengthEnd(end), (into.contextExtensions ??= {}));
    else r.skip(tag & 7, end);
  }
}

/** Decodes a serialized CheckRequest; throws WireError on a malformed message. */
export function decodeCheckRequest(buf: Buffer): CheckRequestMessage {
  const r = new WireReader(buf);
  const end = buf.length;
  const msg: CheckRequestMessage = {};
  while (r.pos < end) {
    const tag = readTag(r, end);
    if (tag === CHECK_REQUEST_ATTRIBUTES) readAttributes(r, r.lengthEnd(end), (msg.attributes ??= {}));
    else r.skip(tag & 7, end);
  }
  return msg;
}
