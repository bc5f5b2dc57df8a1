import { describe, expect, it } from 'vitest';
import { toRequestAttributes, type CheckRequestMessage } from './check-request.js';

function message(body: string, contentType = 'application/json'): CheckRequestMessage {
  return { attributes: { request: { http: { method: 'POST', path: '/v1/transfers?x=1', host: 'api', headers: { 'content-type': contentType }, body } } } };
}

describe('toRequestAttributes body', () => {
  it.each([
    ['integers become bigint, at any depth', '{"amount":250,"items":[{"qty":2}],"rate":1.5}', { amount: 250n, items: [{ qty: 2n }], rate: 1.5 }],
    ['integers too large for a double stay numbers', '{"n":9007199254740993}', { n: 9007199254740992 }],
    ['a top-level integer', '7', 7n],
  ])('%s', (_name, text, expected) => {
    const attrs = toRequestAttributes(message(text));
    expect(attrs.bodyState).toBe('json');
    expect(attrs.body).toEqual(expected);
  });

  it('a __proto__ key stays an own property, never the prototype', () => {
    const body = toRequestAttributes(message('{"__proto__":{"a":1}}')).body as object;
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(Object.hasOwn(body, '__proto__')).toBe(true);
    expect((Object.getOwnPropertyDescriptor(body, '__proto__')?.value as { a: unknown }).a).toBe(1n);
  });

  it.each([
    ['no rule reads the body: not parsed', '{"amount":1}', 'application/json', false, 'not-read'],
    ['no body at all', '', 'application/json', false, 'none'],
    ['not JSON', 'a=1', 'application/x-www-form-urlencoded', true, 'not-json'],
    ['broken JSON', '{"a":', 'application/json', true, 'invalid-json'],
  ])('%s', (_name, text, type, parse, state) => {
    const attrs = toRequestAttributes(message(text, type), parse);
    expect(attrs.bodyState).toBe(state);
    expect(attrs.body).toBeNull();
  });
});
