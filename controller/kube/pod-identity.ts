// Proves who a sidecar is. Its Hello carries a projected service-account token
// bound to its pod; a TokenReview (audience: the controller's) says whose it
// is, and the Pod it is bound to supplies the labels, so a sidecar cannot
// claim another pod's policies by naming other labels.
import type { HelloMessage } from '../../common/distribution/protocol.js';
import type { SidecarIdentity } from '../distribution/sidecar-session.js';
import { KubeError, type KubeRest } from './rest.js';

export class IdentityRefused extends Error {}

interface TokenReviewStatus {
  authenticated?: boolean;
  error?: string;
  audiences?: string[];
  user?: { username?: string; extra?: Record<string, string[]> };
}

interface PodObject {
  metadata: { uid?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec?: { serviceAccountName?: string };
}

const POD_NAME = 'authentication.kubernetes.io/pod-name';
const POD_UID = 'authentication.kubernetes.io/pod-uid';

async function review(rest: KubeRest, token: string, audience: string): Promise<TokenReviewStatus> {
  const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [audience] } };
  const res = await rest.request<{ status?: TokenReviewStatus }>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', body);
  return res.status ?? {};
}

/** Checks the Hello's token and returns the identity with the pod's real labels. Throws IdentityRefused. */
export async function verifyPodIdentity(rest: KubeRest, hello: HelloMessage, audience: string): Promise<SidecarIdentity> {
  if (!hello.identityToken) throw new IdentityRefused('no identity token (a sidecar must send its projected service-account token, or both sides must run with --insecure)');
  const status = await review(rest, hello.identityToken, audience);
  if (!status.authenticated) throw new IdentityRefused(`the identity token is not valid: ${status.error ?? 'not authenticated'}`);
  if (!(status.audiences ?? []).includes(audience)) throw new IdentityRefused(`the identity token is not meant for ${audience}`);
  const match = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(status.user?.username ?? '');
  if (!match) throw new IdentityRefused(`the identity token belongs to ${status.user?.username ?? 'nobody'}, not a service account`);
  const [, namespace, serviceAccount] = match as unknown as [string, string, string];
  const podName = status.user?.extra?.[POD_NAME]?.[0];
  const podUid = status.user?.extra?.[POD_UID]?.[0];
  if (!podName || !podUid) throw new IdentityRefused('the identity token is not bound to a pod (use a projected service-account token)');
  if (namespace !== hello.podNamespace || podName !== hello.podName) {
    throw new IdentityRefused(`the identity token is for pod ${namespace}/${podName}, the sidecar says ${hello.podNamespace}/${hello.podName}`);
  }
  let pod: PodObject;
  try {
    pod = await rest.get<PodObject>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(podName)}`);
  } catch (err) {
    if (err instanceof KubeError && err.status === 404) throw new IdentityRefused(`pod ${namespace}/${podName} does not exist`);
    throw err;
  }
  if (pod.metadata.uid !== podUid) throw new IdentityRefused(`pod ${namespace}/${podName} is not the pod the token was issued for`);
  if ((pod.spec?.serviceAccountName ?? 'default') !== serviceAccount) throw new IdentityRefused(`pod ${namespace}/${podName} does not run as ${serviceAccount}`);
  return { podName, namespace, labels: pod.metadata.labels ?? {} };
}
