// Where the @grpc/grpc-js-xds package keeps Envoy's protos (its deps/ folder),
// for ghz's --import-paths. The sidecar loads the same files
// (sidecar/envoy/protos.ts); the bench only needs the folder.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function xdsDepsDir(): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('@grpc/grpc-js-xds'));
  while (!existsSync(join(dir, 'deps', 'envoy-api'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('@grpc/grpc-js-xds has no deps/envoy-api folder: run npm ci');
    dir = parent;
  }
  return join(dir, 'deps');
}
