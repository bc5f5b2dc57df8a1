// AdmissionReview (admission.k8s.io/v1) in and out, without transport: the
// server hands the parsed body here and writes back what comes out.
import { mutatePod, type Mutation } from './mutate-pod.js';
import type { Pod } from './pod-types.js';
import type { InjectionSettings } from './settings.js';

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  namespace?: string;
  operation?: string;
  object?: unknown;
  dryRun?: boolean;
}

export interface AdmissionResponseBody {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; message: string };
    patchType?: 'JSONPatch';
    patch?: string;
  };
}

export class ReviewError extends Error {}

/** The request of a v1 AdmissionReview; throws ReviewError when the body is not one. */
export function readReview(body: unknown): AdmissionRequest {
  const review = body as { apiVersion?: unknown; kind?: unknown; request?: AdmissionRequest } | null;
  if (!review || review.kind !== 'AdmissionReview' || review.apiVersion !== 'admission.k8s.io/v1') {
    throw new ReviewError('expected an admission.k8s.io/v1 AdmissionReview');
  }
  if (!review.request || typeof review.request.uid !== 'string' || review.request.uid === '') throw new ReviewError('the AdmissionReview has no request.uid');
  return review.request;
}

export interface Answer {
  body: AdmissionResponseBody;
  mutation: Mutation;
}

/** Decides one admission request: pod creations go through mutatePod, anything else passes unchanged. */
export function answerReview(req: AdmissionRequest, settings: InjectionSettings): Answer {
  const isPodCreate = req.kind?.kind === 'Pod' && (req.kind.group ?? '') === '' && req.operation === 'CREATE';
  const mutation: Mutation = isPodCreate
    ? mutatePod(req.object as Pod, req.namespace ?? (req.object as Pod)?.metadata?.namespace ?? '', settings)
    : { allowed: true, injected: false, patch: [], reason: `not a pod creation (${req.kind?.kind ?? '?'} ${req.operation ?? '?'})` };
  return { body: responseFor(req.uid, mutation), mutation };
}

export function responseFor(uid: string, mutation: Mutation): AdmissionResponseBody {
  const body: AdmissionResponseBody = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: mutation.allowed } };
  if (!mutation.allowed) body.response.status = { code: 403, message: mutation.reason };
  else if (mutation.patch.length > 0) {
    body.response.patchType = 'JSONPatch';
    body.response.patch = Buffer.from(JSON.stringify(mutation.patch)).toString('base64');
  }
  return body;
}
