{{/* The chart's name. */}}
{{- define "schemareg.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The objects' full name: the release's name, with the chart's unless it already holds it. */}}
{{- define "schemareg.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "schemareg.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels of every object. */}}
{{- define "schemareg.labels" -}}
helm.sh/chart: {{ include "schemareg.chart" . }}
{{ include "schemareg.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: schemareg
{{- end }}

{{/* The labels that select the registry's pods. */}}
{{- define "schemareg.selectorLabels" -}}
app.kubernetes.io/name: {{ include "schemareg.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: registry
{{- end }}

{{- define "schemareg.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "schemareg.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image: repository, tag (the appVersion when empty; never latest), optional digest. */}}
{{- define "schemareg.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if eq $tag "latest" }}
{{- fail "image.tag must name a release, not latest" }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* The container's port: the port of config.listen. */}}
{{- define "schemareg.port" -}}
{{- .Values.config.listen | splitList ":" | last | int }}
{{- end }}

{{/*
schemareg.toml: every key of .Values.config that is not null, as `key = value`. JSON's
strings, numbers, booleans and arrays of strings are TOML's too.
*/}}
{{- define "schemareg.toml" -}}
# schemareg's configuration (SCHEMAREG_* variables override it), from the chart's `config`.
{{- range $key, $value := .Values.config }}
{{- if not (kindIs "invalid" $value) }}
{{ $key }} = {{ toJson $value }}
{{- end }}
{{- end }}
{{- end }}
