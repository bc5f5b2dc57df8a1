// Envoy's ext_authz service definition, loaded from the protos published in
// the @grpc/grpc-js-xds package (its deps/ folder), never copied here.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The deps/ folder of @grpc/grpc-js-xds (Envoy, googleapis, validate and xds protos). */
export function xdsDepsDir(): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('@grpc/grpc-js-xds'));
  while (!existsSync(join(dir, 'deps', 'envoy-api'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('@grpc/grpc-js-xds has no deps/envoy-api folder: reinstall dependencies (npm ci)');
    dir = parent;
  }
  return join(dir, 'deps');
}

export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
};

/** The loaded envoy.service.auth.v3.Authorization service definition. */
export function loadAuthorizationService(): grpc.ServiceDefinition {
  const deps = xdsDepsDir();
  const definition = protoLoader.loadSync('envoy/service/auth/v3/external_auth.proto', {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: ['envoy-api', 'googleapis', 'protoc-gen-validate', 'xds'].map((d) => join(deps, d)),
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    envoy: { service: { auth: { v3: { Authorization: { service: grpc.ServiceDefinition } } } } };
  };
  return pkg.envoy.service.auth.v3.Authorization.service;
}
