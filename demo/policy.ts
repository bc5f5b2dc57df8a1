// The example policy, deploy/examples/payments.yaml, pointed at the demo's
// OpenID Provider: issuer, JWKS and authorization endpoint change, nothing
// else (comments kept).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { packageRoot } from '../common/package-root.js';
import { writeTemp } from '../harness/processes.js';
import type { IdpEndpoints } from './client/sign-in.js';

export const EXAMPLE_POLICY = join('deploy', 'examples', 'payments.yaml');

/** The browser-redirect client the example policy names: the demo's app registers at the IdP as it. */
export interface ExampleClient {
  readonly clientId: string;
  readonly redirectUri: string;
}

const ISSUER = ['spec', 'issuers', 0];

function readExample() {
  return parseDocument(readFileSync(join(packageRoot(), EXAMPLE_POLICY), 'utf8'));
}

export function exampleClient(): ExampleClient {
  const doc = readExample();
  return { clientId: String(doc.getIn([...ISSUER, 'clientId'])), redirectUri: String(doc.getIn([...ISSUER, 'redirectUri'])) };
}

/** Writes the rewritten copy into `dir`; returns its path. */
export function writeDemoPolicy(dir: string, idp: IdpEndpoints): string {
  const doc = readExample();
  doc.setIn([...ISSUER, 'issuer'], idp.issuer);
  doc.setIn([...ISSUER, 'jwksUri'], idp.jwksUri);
  doc.setIn([...ISSUER, 'authorizationEndpoint'], idp.authorizationEndpoint);
  return writeTemp(dir, 'payments.yaml', doc.toString());
}
