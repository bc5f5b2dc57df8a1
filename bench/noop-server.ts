#!/usr/bin/env node
// The physical limit: a grpc-js ext_authz server that answers every Check
// with OK and an empty ok_response, using the very protos the sidecar loads.
// Run as its own process: node dist/bench/noop-server.js --listen 127.0.0.1:PORT
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { loadAuthorizationService } from '../sidecar/envoy/protos.js';

const OK = Object.freeze({ status: { code: 0 }, okResponse: {} });

function main(): void {
  const { values } = parseArgs({ options: { listen: { type: 'string', default: '127.0.0.1:0' } } });
  // The same receive limit as the sidecar's server, so both parse the same way.
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  server.addService(loadAuthorizationService(), {
    Check: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => callback(null, OK),
  });
  server.bindAsync(values.listen as string, grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
      process.stderr.write(`noop-server: cannot listen on ${values.listen}: ${err.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`noop-server listening on port ${port}\n`);
  });
  const stop = () => server.tryShutdown(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main();
