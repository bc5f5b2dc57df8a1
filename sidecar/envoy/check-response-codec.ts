// Puts a CheckResponseMessage on the wire as an envoy.service.auth.v3.CheckResponse.
// Field numbers: envoy/service/auth/v3/external_auth.proto, config/core/v3/base.proto,
// google/rpc/status.proto, google/protobuf/struct.proto, type/v3/http_status.proto.
//
// The message is written back to front into a reused scratch buffer: a
// nested message's length is known once its fields are written, so it is
// written just before them, with no size pass and no intermediate objects.
// The output is the canonical encoding, byte for byte what protobufjs writes
// for the same message (sidecar/envoy/codec.test.ts); one Buffer per response.
import type { CheckResponseMessage, DecisionMetadata, HeaderPair } from './check-response.js';
import { fieldTag, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './wire-reader.js';

/** HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD */
const OVERWRITE_IF_EXISTS_OR_ADD = 2;

// CheckResponse
const RESPONSE_STATUS = fieldTag(1, WIRE_LEN);
const RESPONSE_DENIED = fieldTag(2, WIRE_LEN);
const RESPONSE_OK = fieldTag(3, WIRE_LEN);
const RESPONSE_DYNAMIC_METADATA = fieldTag(4, WIRE_LEN);
// google.rpc.Status
const STATUS_CODE = fieldTag(1, WIRE_VARINT);
// DeniedHttpResponse
const DENIED_STATUS = fieldTag(1, WIRE_LEN);
const DENIED_HEADERS = fieldTag(2, WIRE_LEN);
const DENIED_BODY = fieldTag(3, WIRE_LEN);
// envoy.type.v3.HttpStatus
const HTTP_STATUS_CODE = fieldTag(1, WIRE_VARINT);
// OkHttpResponse
const OK_HEADERS = fieldTag(2, WIRE_LEN);
const OK_HEADERS_TO_REMOVE = fieldTag(5, WIRE_LEN);
// HeaderValueOption, HeaderValue
const OPTION_HEADER = fieldTag(1, WIRE_LEN);
const OPTION_APPEND_ACTION = fieldTag(3, WIRE_VARINT);
const HEADER_KEY = fieldTag(1, WIRE_LEN);
const HEADER_VALUE = fieldTag(2, WIRE_LEN);
// google.protobuf.Struct, its map entry, Value, ListValue
const STRUCT_FIELDS = fieldTag(1, WIRE_LEN);
const ENTRY_KEY = fieldTag(1, WIRE_LEN);
const ENTRY_VALUE = fieldTag(2, WIRE_LEN);
const VALUE_NUMBER = fieldTag(2, WIRE_FIXED64);
const VALUE_STRING = fieldTag(3, WIRE_LEN);
const VALUE_LIST = fieldTag(6, WIRE_LEN);
const LIST_VALUES = fieldTag(1, WIRE_LEN);

class ScratchFull extends Error {}

/** Writes protobuf fields from the end of a buffer toward its start. Every tag here fits in one byte (field numbers ≤ 15). */
class BackwardWriter {
  pos: number;

  constructor(readonly buf: Buffer) {
    this.pos = buf.length;
  }

  private room(n: number): void {
    if (this.pos < n) throw new ScratchFull();
  }

  varint(value: number): void {
    // Unsigned values below 2^32 only (tags, lengths, codes): at most 5 bytes.
    this.room(5);
    let n = 1;
    for (let v = value >>> 7; v > 0; v >>>= 7) n++;
    this.pos -= n;
    let v = value >>> 0;
    for (let i = 0; i < n; i++) {
      this.buf[this.pos + i] = i === n - 1 ? v : (v & 0x7f) | 0x80;
      v >>>= 7;
    }
  }

  tag(tag: number): void {
    this.room(1);
    this.buf[--this.pos] = tag;
  }

  uint(tag: number, value: number): void {
    this.varint(value);
    this.tag(tag);
  }

  string(tag: number, text: string): void {
    const length = Buffer.byteLength(text);
    this.room(length);
    this.pos -= length;
    this.buf.write(text, this.pos, length, 'utf8');
    this.varint(length);
    this.tag(tag);
  }

  double(tag: number, value: number): void {
    this.room(8);
    this.pos -= 8;
    this.buf.writeDoubleLE(value, this.pos);
    this.tag(tag);
  }

  /** A nested message: `fields` writes its fields (last first), then its length and tag go in front. */
  message(tag: number, fields: () => void): void {
    const end = this.pos;
    fields();
    this.varint(end - this.pos);
    this.tag(tag);
  }
}

function writeHeaders(w: BackwardWriter, tag: number, headers: readonly HeaderPair[]): void {
  for (let i = headers.length - 1; i >= 0; i--) {
    const [key, value] = headers[i] as HeaderPair;
    w.message(tag, () => {
      w.uint(OPTION_APPEND_ACTION, OVERWRITE_IF_EXISTS_OR_ADD);
      w.message(OPTION_HEADER, () => {
        w.string(HEADER_VALUE, value);
        w.string(HEADER_KEY, key);
      });
    });
  }
}

function writeStruct(w: BackwardWriter, facts: DecisionMetadata): void {
  const keys = Object.keys(facts);
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i] as string;
    const value = facts[key] as string | number | string[];
    w.message(STRUCT_FIELDS, () => {
      w.message(ENTRY_VALUE, () => {
        if (typeof value === 'string') w.string(VALUE_STRING, value);
        else if (typeof value === 'number') w.double(VALUE_NUMBER, value);
        else
          w.message(VALUE_LIST, () => {
            for (let j = value.length - 1; j >= 0; j--) w.message(LIST_VALUES, () => w.string(VALUE_STRING, value[j] as string));
          });
      });
      w.string(ENTRY_KEY, key);
    });
  }
}

function writeResponse(w: BackwardWriter, message: CheckResponseMessage): void {
  // Field order on the wire: status (1), denied_response (2) or ok_response (3), dynamic_metadata (4).
  w.message(RESPONSE_DYNAMIC_METADATA, () => writeStruct(w, message.metadata));
  if ('ok' in message) {
    const { headers, headersToRemove } = message.ok;
    w.message(RESPONSE_OK, () => {
      for (let i = headersToRemove.length - 1; i >= 0; i--) w.string(OK_HEADERS_TO_REMOVE, headersToRemove[i] as string);
      writeHeaders(w, OK_HEADERS, headers);
    });
  } else {
    const { httpStatus, headers, body } = message.denied;
    w.message(RESPONSE_DENIED, () => {
      if (body !== '') w.string(DENIED_BODY, body);
      writeHeaders(w, DENIED_HEADERS, headers);
      w.message(DENIED_STATUS, () => w.uint(HTTP_STATUS_CODE, httpStatus));
    });
  }
  w.message(RESPONSE_STATUS, () => {
    if (message.rpcCode !== 0) w.uint(STATUS_CODE, message.rpcCode);
  });
}

let scratch = Buffer.allocUnsafe(16 * 1024);

export function encodeCheckResponse(message: CheckResponseMessage): Buffer {
  for (;;) {
    const w = new BackwardWriter(scratch);
    try {
      writeResponse(w, message);
      return Buffer.from(scratch.subarray(w.pos));
    } catch (err) {
      if (!(err instanceof ScratchFull)) throw err;
      scratch = Buffer.allocUnsafe(scratch.length * 2);
    }
  }
}
