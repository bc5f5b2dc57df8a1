import { describe, expect, it } from 'vitest';
import { answerReview, readReview, ReviewError } from './admission-review.js';
import { testSettings } from './fixtures.js';

const settings = testSettings();
const pod = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 8080 }] }] } };
const review = (request: object) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });

describe('AdmissionReview', () => {
  it.each([
    ['not an object', null],
    ['another version', { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'u' } }],
    ['no uid', review({})],
  ])('refuses a body that is %s', (_name, body) => {
    expect(() => readReview(body)).toThrow(ReviewError);
  });

  it('a pod creation gets a base64 JSONPatch under the same uid', () => {
    const { body } = answerReview(readReview(review({ uid: 'u1', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'shop', object: pod })), settings);
    expect(body.response).toMatchObject({ uid: 'u1', allowed: true, patchType: 'JSONPatch' });
    const patch = JSON.parse(Buffer.from(body.response.patch as string, 'base64').toString());
    expect(patch.some((op: any) => op.path === '/spec/containers/-' && op.value.name === 'stepup-sidecar')).toBe(true);
  });

  it('a pod that cannot be protected is refused with the reason', () => {
    const hostNet = { ...pod, spec: { ...pod.spec, hostNetwork: true } };
    const { body } = answerReview({ uid: 'u2', kind: { kind: 'Pod' }, operation: 'CREATE', namespace: 'shop', object: hostNet }, settings);
    expect(body.response).toMatchObject({ uid: 'u2', allowed: false, status: { code: 403 } });
    expect(body.response.status?.message).toMatch(/host network/);
    expect(body.response.patch).toBeUndefined();
  });

  it('anything but a pod creation passes without a patch', () => {
    const { body } = answerReview({ uid: 'u3', kind: { kind: 'Pod' }, operation: 'UPDATE', namespace: 'shop', object: pod }, settings);
    expect(body.response).toEqual({ uid: 'u3', allowed: true });
  });

  it('the namespace comes from the request when the pod has none (generateName pods)', () => {
    const { mutation } = answerReview({ uid: 'u4', kind: { kind: 'Pod' }, operation: 'CREATE', namespace: 'kube-system', object: pod }, settings);
    expect(mutation.reason).toMatch(/kube-system is excluded/);
  });
});
