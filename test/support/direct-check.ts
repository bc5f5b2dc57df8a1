// For --workers tests: which workers serve, and one Check straight to a
// sidecar (no Envoy) on a connection of its own (a --workers sidecar hands
// each new connection to the next worker).
import * as grpc from '@grpc/grpc-js';
import type { Running } from '../../harness/processes.js';
import { logLines } from '../../harness/sidecar.js';
import { loadAuthorizationService } from '../../sidecar/envoy/protos.js';

/** Pids of the workers a --workers primary reported serving, oldest first. */
export function servingWorkers(proc: Running): number[] {
  return logLines(proc)
    .filter((l) => l.role === 'primary' && l.msg === 'worker serving')
    .map((l) => l.pid as number);
}

/** One Check straight to the sidecar on a connection of its own (no shared subchannel): gRPC code and HTTP status. */
export async function directCheck(port: number, path: string): Promise<{ code: number; status: number | string }> {
  const Client = grpc.makeGenericClientConstructor(loadAuthorizationService(), 'Authorization');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }) as unknown as {
    Check(req: unknown, cb: (err: Error | null, res: { status?: { code?: number }; deniedResponse?: { status?: { code?: number | string } } }) => void): void;
    close(): void;
  };
  try {
    const request = { attributes: { source: { address: { socketAddress: { address: '127.0.0.1', portValue: 5000 } } }, request: { http: { method: 'GET', path, host: 'payments.example.com', scheme: 'http', headers: { ':method': 'GET', ':path': path, ':authority': 'payments.example.com' } } } } };
    const res = await new Promise<{ status?: { code?: number }; deniedResponse?: { status?: { code?: number | string } } }>((resolve, reject) => client.Check(request, (err, r) => (err ? reject(err) : resolve(r))));
    return { code: res.status?.code ?? 0, status: res.deniedResponse?.status?.code ?? 200 };
  } finally {
    client.close();
  }
}

