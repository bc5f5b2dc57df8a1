// The StepUpPolicy resource as users write it (stepup.dev/v1alpha1).
// The CRD in charts/stepup/files/crd-stepuppolicies.yaml is the source of
// truth; these types mirror it for the code.

export const API_VERSION = 'stepup.dev/v1alpha1';
export const KIND = 'StepUpPolicy';

export type PolicyMode = 'Enforce' | 'DryRun';
export type RuleAction = 'StepUp' | 'Deny' | 'Allow';
export type MissingTokenAction = 'Challenge' | 'Deny' | 'Allow';

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface IssuerSpec {
  issuer: string;
  jwksUri: string;
  audiences: string[];
  algorithms?: string[];
  authorizationEndpoint?: string;
  clientId?: string;
  redirectUri?: string;
  loginUrl?: string;
}

export interface LevelSpec {
  name: string;
  acr: string[];
  amr?: { anyOf?: string[]; allOf?: string[] };
}

export interface RuleSpec {
  name: string;
  match: { methods?: string[]; hosts?: string[]; paths?: string[] };
  when?: string;
  action?: RuleAction;
  require?: { level: string; maxAge?: string; afterRisk?: boolean; singleUse?: boolean };
}

/** A named list of addresses: exactly one of cidrs, file (standalone) or configMapRef (cluster). */
export interface IpListSpec {
  name: string;
  flagged?: boolean;
  cidrs?: string[];
  file?: string;
  configMapRef?: { name: string; key: string };
}

export interface DevicesSpec {
  header?: string;
  cookie?: string;
  trustLevel: string;
}

export interface StepUpPolicySpec {
  selector?: LabelSelector;
  mode?: PolicyMode;
  issuers?: IssuerSpec[];
  levels?: LevelSpec[];
  rules: RuleSpec[];
  ipLists?: IpListSpec[];
  devices?: DevicesSpec;
  defaults?: { onMissingToken?: MissingTokenAction };
}

export interface StepUpPolicy {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: { name: string; namespace?: string; generation?: number; [k: string]: unknown };
  spec: StepUpPolicySpec;
}
