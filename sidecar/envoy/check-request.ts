// Reads the attributes the decision needs out of an Envoy CheckRequest.
import type { RequestAttributes } from '../decision/types.js';
import { hostWithoutPort } from '../../common/policy/path-glob.js';
import { normalizePath } from './normalize-path.js';

/** The parts of envoy.service.auth.v3.CheckRequest that are read (proto-loader, camelCase). */
export interface CheckRequestMessage {
  attributes?: {
    source?: { address?: { socketAddress?: { address?: string } } };
    request?: {
      http?: {
        id?: string;
        method?: string;
        headers?: Record<string, string>;
        path?: string;
        host?: string;
        scheme?: string;
        body?: string;
        rawBody?: Buffer;
      };
    };
    contextExtensions?: Record<string, string>;
  };
}

/**
 * Integers become bigint, as CEL's int, when they fit exactly: in place, over
 * a freshly parsed JSON value. A walk after JSON.parse costs about a third of
 * a JSON.parse reviver, which V8 calls for every key (measured).
 */
function withCelInts(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (value === null || typeof value !== 'object') return value;
  const container = value as Record<string, unknown>;
  for (const key of Object.keys(container)) {
    const item = container[key];
    if (typeof item === 'number' && Number.isSafeInteger(item)) container[key] = BigInt(item);
    else if (item !== null && typeof item === 'object') withCelInts(item);
  }
  return value;
}

type HttpRequest = NonNullable<NonNullable<NonNullable<CheckRequestMessage['attributes']>['request']>['http']>;

function readBody(http: HttpRequest, headers: Record<string, string>, parse: boolean): Pick<RequestAttributes, 'body' | 'bodyState'> {
  if (!parse) return { body: null, bodyState: http.rawBody?.length || http.body ? 'not-read' : 'none' };
  const text = http.rawBody && http.rawBody.length > 0 ? http.rawBody.toString('utf8') : (http.body ?? '');
  if (text === '') return { body: null, bodyState: 'none' };
  if (headers['x-envoy-auth-partial-body'] === 'true') return { body: null, bodyState: 'truncated' };
  if (!/^application\/([a-z0-9.+-]*\+)?json\b/i.test(headers['content-type'] ?? '')) return { body: null, bodyState: 'not-json' };
  try {
    return { body: withCelInts(JSON.parse(text)), bodyState: 'json' };
  } catch {
    return { body: null, bodyState: 'invalid-json' };
  }
}

function readQuery(rawPath: string): Record<string, string> {
  const q = rawPath.indexOf('?');
  const query: Record<string, string> = {};
  if (q < 0) return query;
  for (const [k, v] of new URLSearchParams(rawPath.slice(q + 1))) {
    if (!Object.hasOwn(query, k)) query[k] = v;
  }
  return query;
}

/** `parseBody`: read a JSON body (only when some rule reads `request.body`). */
export function toRequestAttributes(msg: CheckRequestMessage, parseBody = true): RequestAttributes {
  const attrs = msg.attributes ?? {};
  const http = attrs.request?.http ?? {};
  const headers = http.headers ?? {};
  const rawPath = http.path ?? headers[':path'] ?? '/';
  const q = rawPath.indexOf('?');
  return {
    id: headers['x-request-id'] ?? http.id ?? '',
    method: (http.method ?? headers[':method'] ?? '').toUpperCase(),
    path: normalizePath(q >= 0 ? rawPath.slice(0, q) : rawPath),
    host: hostWithoutPort(http.host ?? headers[':authority'] ?? ''),
    scheme: http.scheme ?? headers[':scheme'] ?? '',
    headers,
    query: readQuery(rawPath),
    ...readBody(http, headers, parseBody),
    sourceAddress: attrs.source?.address?.socketAddress?.address ?? '',
    route: attrs.contextExtensions ?? {},
  };
}
