// The gRPC edge: serves envoy.service.auth.v3.Authorization/Check.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { CheckRequestMessage } from '../envoy/check-request.js';
import { loadAuthorizationService } from '../envoy/protos.js';

/** Sent if the pipeline itself fails to produce a response: refuse. */
const LAST_RESORT = {
  status: { code: 14 },
  deniedResponse: { status: { code: 503 }, headers: [{ header: { key: 'content-type', value: 'application/problem+json' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' }], body: '{"title":"Authorization unavailable","status":503}' },
};

export async function startGrpcServer(address: string, check: (msg: CheckRequestMessage) => Promise<Record<string, unknown>>, log: Logger): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  server.addService(loadAuthorizationService(), {
    Check: (call: grpc.ServerUnaryCall<CheckRequestMessage, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      check(call.request).then(
        (response) => callback(null, response),
        (err: unknown) => {
          log.error({ err }, 'check pipeline failed; refusing');
          callback(null, LAST_RESORT);
        },
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(new Error(`cannot listen on ${address}: ${err.message}`)) : resolve(p)));
  });
  return { server, port };
}
