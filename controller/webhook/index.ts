// The injection webhook as a library for the controller's main:
//   const settings = loadInjectionSettings('/etc/stepup/injector');
//   const webhook = await startWebhookServer({ port: 9443, certFile, keyFile, settings, log });
export { mutatePod, type Mutation } from './mutate-pod.js';
export { startWebhookServer, INJECT_PATH, type WebhookServer, type WebhookServerOptions, type WebhookLogger } from './server.js';
export { loadInjectionSettings, parseInjectionSettings, SettingsError, type InjectionSettings } from './settings.js';
export { answerReview, readReview } from './admission-review.js';
export { renderEnvoyBootstrap } from './envoy-bootstrap.js';
export type { PatchOp } from './json-patch.js';
export { KEYS, SIDECAR_NAME, ENVOY_NAME, type Pod } from './pod-types.js';
