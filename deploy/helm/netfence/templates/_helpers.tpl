{{/*
Names and labels shared by every template.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "netfence.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The release's full name: "netfence" when the release is called netfence (or
contains it), else "<release>-netfence"; at most 63 characters.
*/}}
{{- define "netfence.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "netfence.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select the operator pods: never change across upgrades. */}}
{{- define "netfence.selectorLabels" -}}
app.kubernetes.io/name: {{ include "netfence.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "netfence.labels" -}}
helm.sh/chart: {{ include "netfence.chart" . }}
{{ include "netfence.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: netfence
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* metadata.annotations of every object (commonAnnotations plus extra), or nothing: use with `with`. */}}
{{- define "netfence.annotations" -}}
{{- $all := merge (deepCopy (.extra | default dict)) (.root.Values.commonAnnotations | default dict) -}}
{{- with $all -}}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{- define "netfence.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default (include "netfence.fullname" .) -}}
{{- end -}}

{{/* repository:tag or repository@digest */}}
{{- define "netfence.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* Leader election: forced by leaderElection.enabled, else on when replicas > 1. */}}
{{- define "netfence.leaderElect" -}}
{{- if kindIs "bool" .Values.leaderElection.enabled -}}
{{- .Values.leaderElection.enabled -}}
{{- else -}}
{{- gt (int .Values.replicas) 1 -}}
{{- end -}}
{{- end -}}

{{/* k8s-app=kube-dns,tier=dns from a map, keys sorted. */}}
{{- define "netfence.dnsPodSelector" -}}
{{- $pairs := list -}}
{{- range $k, $v := .Values.dns.podSelector -}}
{{- $pairs = append $pairs (printf "%s=%s" $k $v) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}

{{/* resources.limits.memory in MiB (rounded down), or 0 when unset or not a plain quantity (Mi, Gi, M, G or bytes). */}}
{{- define "netfence.memoryLimitMiB" -}}
{{- $v := (.Values.resources.limits | default dict).memory -}}
{{- $q := kindIs "float64" $v | ternary (printf "%d" (int64 ($v | default 0))) (toString ($v | default "")) -}}
{{- if regexMatch "^[0-9]+Mi$" $q -}}{{ trimSuffix "Mi" $q | atoi }}
{{- else if regexMatch "^[0-9]+Gi$" $q -}}{{ mul (trimSuffix "Gi" $q | atoi) 1024 }}
{{- else if regexMatch "^[0-9]+M$" $q -}}{{ div (mul (trimSuffix "M" $q | atoi) 1000000) 1048576 }}
{{- else if regexMatch "^[0-9]+G$" $q -}}{{ div (mul (trimSuffix "G" $q | atoi) 1000000000) 1048576 }}
{{- else if regexMatch "^[0-9]+$" $q -}}{{ div (atoi $q) 1048576 }}
{{- else -}}0
{{- end -}}
{{- end -}}

{{/*
V8's old-generation cap in MiB (--max-old-space-size): heapPercentOfLimit of
the memory limit; 0 (leave it to Node) without a limit or with the percentage 0.
*/}}
{{- define "netfence.heapMiB" -}}
{{- div (mul (include "netfence.memoryLimitMiB" . | atoi) (int .Values.heapPercentOfLimit)) 100 -}}
{{- end -}}
