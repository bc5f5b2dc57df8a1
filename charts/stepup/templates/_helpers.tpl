{{/* Names, labels and images shared by the templates. */}}

{{/* <release>-<component>, e.g. stepup-controller for release "stepup". */}}
{{- define "stepup.name" -}}
{{- printf "%s-%s" .root.Release.Name .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "stepup.selectorLabels" -}}
app.kubernetes.io/name: stepup
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "stepup.labels" -}}
{{ include "stepup.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: stepup
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* repository:tag, or repository@digest; the tag defaults to appVersion. */}}
{{- define "stepup.image" -}}
{{- if .image.digest -}}
{{ .image.repository }}@{{ .image.digest }}
{{- else -}}
{{ .image.repository }}:{{ .image.tag | default .root.Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* The host:port sidecars dial for policy snapshots. */}}
{{- define "stepup.controllerAddress" -}}
{{ include "stepup.name" (dict "root" . "component" "controller") }}.{{ .Release.Namespace }}.svc:{{ .Values.controller.ports.distribution }}
{{- end -}}

{{/* Envoy duration from milliseconds: 200 -> 0.200s. */}}
{{- define "stepup.authzTimeout" -}}
{{ printf "%.3fs" (divf .Values.injection.authzTimeoutMs 1000) }}
{{- end -}}

{{/* Namespaces the webhook never sees: the release's own and the excluded list. */}}
{{- define "stepup.excludedNamespaces" -}}
{{ toJson (uniq (prepend .Values.webhook.excludedNamespaces .Release.Namespace)) }}
{{- end -}}

{{/*
The webhook's TLS material when cert-manager is off: a CA and a serving
certificate made once per render and shared by the Secret and the
MutatingWebhookConfiguration (memoised in a dict on the root context, so the
order in which Helm renders the two files does not matter). A new pair is
made on every install and upgrade; the CA of the pair being replaced stays in
the caBundle for one more release so the running webhook, which reloads its
files within a minute, is trusted throughout the switch.
*/}}
{{- define "stepup.webhookTLS" -}}
{{- $memo := .Values.webhook.selfSigned -}}
{{- if not (hasKey $memo "__generated") -}}
{{- $svc := include "stepup.name" (dict "root" . "component" "webhook") -}}
{{- $ns := .Release.Namespace -}}
{{- $days := int .Values.webhook.selfSigned.validityDays -}}
{{- $ca := genCA (printf "%s-ca" $svc) $days -}}
{{- $dns := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) -}}
{{- $cert := genSignedCert (printf "%s.%s.svc" $svc $ns) nil $dns $days $ca -}}
{{- $previous := "" -}}
{{- $old := lookup "v1" "Secret" $ns (printf "%s-tls" $svc) -}}
{{- if and $old $old.data (index $old.data "ca.crt") -}}
{{- $previous = index $old.data "ca.crt" | b64dec -}}
{{- end -}}
{{- $_ := set $memo "__generated" (dict "caCert" $ca.Cert "cert" $cert.Cert "key" $cert.Key "previousCA" $previous) -}}
{{- end -}}
{{- toJson (get $memo "__generated") -}}
{{- end -}}

{{/* The meshConfig snippet declaring the stepup ext_authz provider (Istio mode). */}}
{{- define "stepup.istioMeshConfig" -}}
extensionProviders:
  - name: {{ .Values.istio.providerName }}
    envoyExtAuthzGrpc:
      service: {{ .Values.istio.authzHost }}
      port: {{ .Values.injection.sidecar.authzPort }}
      timeout: {{ include "stepup.authzTimeout" . }}
      failOpen: false
      statusOnError: "503"
      includeRequestBodyInCheck:
        maxRequestBytes: 8192
        allowPartialMessage: true
        packAsBytes: true
{{- end -}}
