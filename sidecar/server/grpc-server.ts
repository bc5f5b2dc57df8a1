// The gRPC edge: serves envoy.service.auth.v3.Authorization/Check. Requests
// are decoded straight from the wire into the fields the decision reads, and
// responses encoded straight to the wire (sidecar/envoy/*-codec.ts): no
// generic protobuf objects in between.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { CheckRequestMessage } from '../envoy/check-request.js';
import { decodeCheckRequest } from '../envoy/check-request-codec.js';
import { LAST_RESORT_RESPONSE, type CheckResponseMessage } from '../envoy/check-response.js';
import { encodeCheckResponse } from '../envoy/check-response-codec.js';

export const CHECK_PATH = '/envoy.service.auth.v3.Authorization/Check';

function serverOnly(): never {
  throw new Error('this service definition only serves Check; clients use sidecar/envoy/protos.ts');
}

/** The Authorization service with this sidecar's own codecs. */
export const AUTHORIZATION_SERVICE: grpc.ServiceDefinition<grpc.UntypedServiceImplementation> = {
  Check: {
    path: CHECK_PATH,
    requestStream: false,
    responseStream: false,
    originalName: 'check',
    requestDeserialize: decodeCheckRequest,
    responseSerialize: encodeCheckResponse,
    requestSerialize: serverOnly,
    responseDeserialize: serverOnly,
  },
};

export async function startGrpcServer(address: string, check: (msg: CheckRequestMessage) => Promise<CheckResponseMessage>, log: Logger): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  server.addService(AUTHORIZATION_SERVICE, {
    Check: (call: grpc.ServerUnaryCall<CheckRequestMessage, CheckResponseMessage>, callback: grpc.sendUnaryData<CheckResponseMessage>) => {
      check(call.request).then(
        (response) => callback(null, response),
        (err: unknown) => {
          log.error({ err }, 'check pipeline failed; refusing');
          callback(null, LAST_RESORT_RESPONSE);
        },
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(new Error(`cannot listen on ${address}: ${err.message}`)) : resolve(p)));
  });
  return { server, port };
}
