// Requests to the payments API through Envoy, as a client sends them.

export interface ApiCall {
  readonly token?: string;
  readonly json?: unknown;
  readonly accept?: string;
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

export async function callApi(base: string, method: string, path: string, call: ApiCall = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = { accept: call.accept ?? 'application/json' };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(call.json !== undefined ? { body: JSON.stringify(call.json) } : {}),
    redirect: 'manual',
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** The decision id of a 401/403 problem+json body, if it has one. */
export function decisionIdOf(answer: ApiAnswer): string | undefined {
  try {
    const id = (JSON.parse(answer.body) as { decision_id?: unknown }).decision_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
