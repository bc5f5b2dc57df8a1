// Puts a CheckResponseMessage on the wire as an envoy.service.auth.v3.CheckResponse,
// with protobufjs's Writer and the field numbers of the Envoy and Google protos
// (external_auth.proto, config/core/v3/base.proto, google/rpc/status.proto,
// google/protobuf/struct.proto, type/v3/http_status.proto).
import protobuf from 'protobufjs/minimal.js';
import type { CheckResponseMessage, DecisionMetadata, HeaderPair } from './check-response.js';
import { fieldTag, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './wire-reader.js';

type Writer = protobuf.Writer;

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

function writeHeaders(w: Writer, tag: number, headers: readonly HeaderPair[]): void {
  for (const [key, value] of headers) {
    w.uint32(tag).fork();
    w.uint32(OPTION_HEADER).fork().uint32(HEADER_KEY).string(key).uint32(HEADER_VALUE).string(value).ldelim();
    w.uint32(OPTION_APPEND_ACTION).uint32(OVERWRITE_IF_EXISTS_OR_ADD);
    w.ldelim();
  }
}

function writeStruct(w: Writer, facts: DecisionMetadata): void {
  for (const key of Object.keys(facts)) {
    const value = facts[key] as string | number | string[];
    w.uint32(STRUCT_FIELDS).fork().uint32(ENTRY_KEY).string(key).uint32(ENTRY_VALUE).fork();
    if (typeof value === 'string') w.uint32(VALUE_STRING).string(value);
    else if (typeof value === 'number') w.uint32(VALUE_NUMBER).double(value);
    else {
      w.uint32(VALUE_LIST).fork();
      for (const item of value) w.uint32(LIST_VALUES).fork().uint32(VALUE_STRING).string(item).ldelim();
      w.ldelim();
    }
    w.ldelim().ldelim();
  }
}

export function encodeCheckResponse(message: CheckResponseMessage): Buffer {
  const w = protobuf.Writer.create();
  w.uint32(RESPONSE_STATUS).fork();
  if (message.rpcCode !== 0) w.uint32(STATUS_CODE).int32(message.rpcCode);
  w.ldelim();
  if ('ok' in message) {
    w.uint32(RESPONSE_OK).fork();
    writeHeaders(w, OK_HEADERS, message.ok.headers);
    for (const name of message.ok.headersToRemove) w.uint32(OK_HEADERS_TO_REMOVE).string(name);
    w.ldelim();
  } else {
    w.uint32(RESPONSE_DENIED).fork();
    w.uint32(DENIED_STATUS).fork().uint32(HTTP_STATUS_CODE).int32(message.denied.httpStatus).ldelim();
    writeHeaders(w, DENIED_HEADERS, message.denied.headers);
    if (message.denied.body !== '') w.uint32(DENIED_BODY).string(message.denied.body);
    w.ldelim();
  }
  w.uint32(RESPONSE_DYNAMIC_METADATA).fork();
  writeStruct(w, message.metadata);
  w.ldelim();
  return w.finish() as Buffer;
}
