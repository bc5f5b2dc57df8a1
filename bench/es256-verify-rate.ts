#!/usr/bin/env node
// The raw ES256 verify rate of node:crypto on one core: W2's yardstick. Run
// pinned (taskset -c 0 node dist/bench/es256-verify-rate.js --seconds 3); it
// prints one JSON line.
//
// Two numbers: `sync` is crypto.verify on the main thread, the plain cost of
// a P-256 signature check over a JWT-sized input (the goal's denominator);
// `webcrypto` is crypto.subtle.verify with 64 in flight, the path jose (and so
// the sidecar) takes, which runs on libuv's thread pool, here on the same core.
// Each also per second of CPU time, which a busy neighbour on the core does
// not change much.
import { createHash, generateKeyPairSync, sign, verify, webcrypto, type KeyObject } from 'node:crypto';
import { parseArgs } from 'node:util';

const TOKENS = 256;
const IN_FLIGHT = 64;

interface Signed {
  input: Uint8Array<ArrayBuffer>;
  signature: Uint8Array<ArrayBuffer>;
}

function makeTokens(privateKey: KeyObject): Signed[] {
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'key-1', typ: 'at+jwt' })).toString('base64url');
  return Array.from({ length: TOKENS }, (_, i) => {
    // The claims of the bench's tokens (bench/tokens.ts), so the hashed input has their size.
    const id = createHash('sha256').update(String(i)).digest('hex');
    const payload = {
      iss: 'http://127.0.0.1:40000', sub: `f3c1a9d2-5b7e-4c1a-9e0b-${id.slice(0, 12)}`, aud: ['payments-api'], azp: 'payments-web', client_id: 'payments-web',
      iat: 1_900_000_000, nbf: 1_900_000_000, exp: 1_900_007_200, auth_time: 1_899_999_940, acr: '2', amr: ['pwd', 'otp'],
      sid: `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-8${id.slice(17, 20)}-${id.slice(20, 32)}`, jti: `${id.slice(32, 40)}-${id.slice(40, 44)}-4${id.slice(45, 48)}-8${id.slice(49, 52)}-${id.slice(52, 64)}`,
      scope: 'openid profile email payments:read payments:write', email: `user${i}@example.com`, email_verified: true, preferred_username: `user${i}`,
    };
    const input = new Uint8Array(Buffer.from(`${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`));
    return { input, signature: new Uint8Array(sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' })) };
  });
}

interface Rate {
  /** Verifications per second of wall time, and per second of this process's CPU time (all threads). */
  wall: number;
  cpu: number;
}

function rate(n: number, started: number, cpu: NodeJS.CpuUsage): Rate {
  const used = process.cpuUsage(cpu);
  return { wall: n / ((performance.now() - started) / 1000), cpu: n / ((used.user + used.system) / 1e6) };
}

function syncRate(publicKey: KeyObject, tokens: Signed[], seconds: number): Rate {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 64; i++, n++) {
      const t = tokens[n % TOKENS] as Signed;
      if (!verify('sha256', t.input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, t.signature)) throw new Error('verification failed');
    }
  }
  return rate(n, started, cpu);
}

async function webcryptoRate(publicKey: KeyObject, tokens: Signed[], seconds: number): Promise<Rate> {
  const key = await webcrypto.subtle.importKey('jwk', publicKey.export({ format: 'jwk' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  const algorithm = { name: 'ECDSA', hash: 'SHA-256' };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const end = started + seconds * 1000;
  let n = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const t = tokens[n++ % TOKENS] as Signed;
      if (!(await webcrypto.subtle.verify(algorithm, key, t.signature, t.input))) throw new Error('verification failed');
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return rate(n, started, cpu);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' } } });
  const seconds = Number(values.seconds);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tokens = makeTokens(privateKey);
  syncRate(publicKey, tokens, 0.3); // warm-up
  const sync = syncRate(publicKey, tokens, seconds);
  await webcryptoRate(publicKey, tokens, 0.3);
  const web = await webcryptoRate(publicKey, tokens, seconds);
  const result = {
    syncPerSecond: Math.round(sync.wall),
    syncPerCpuSecond: Math.round(sync.cpu),
    webcryptoPerSecond: Math.round(web.wall),
    webcryptoPerCpuSecond: Math.round(web.cpu),
    inputBytes: tokens[0]?.input.length,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
