{{/* The chart's name, shortened to Kubernetes' 63-character limit. */}}
{{- define "gitfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the release name, with the chart's name added unless it already holds it. */}}
{{- define "gitfleet.fullname" -}}
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

{{- define "gitfleet.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "gitfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "gitfleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gitfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "gitfleet.etcdSelectorLabels" -}}
app.kubernetes.io/name: {{ include "gitfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: etcd
{{- end }}

{{- define "gitfleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gitfleet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "gitfleet.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The example etcd's name and its members' client URLs. */}}
{{- define "gitfleet.etcdName" -}}
{{- printf "%s-etcd" (include "gitfleet.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gitfleet.etcdEndpoints" -}}
{{- if .Values.etcd.endpoints }}
{{- join "," .Values.etcd.endpoints }}
{{- else if .Values.etcd.example.enabled }}
{{- $name := include "gitfleet.etcdName" . }}
{{- $urls := list }}
{{- range $i := until (int .Values.etcd.example.replicas) }}
{{- $urls = append $urls (printf "http://%s-%d.%s:2379" $name $i $name) }}
{{- end }}
{{- join "," $urls }}
{{- end }}
{{- end }}

{{/* The example load balancer's name; its pods (and agents) are <lbName>-0, -1, … */}}
{{- define "gitfleet.lbName" -}}
{{- printf "%s-lb" (include "gitfleet.fullname" .) | trunc 58 | trimSuffix "-" }}
{{- end }}

{{/* The discovery agents the controller waits for, comma-separated: agents.required and the example's pods. */}}
{{- define "gitfleet.agentNames" -}}
{{- $names := list }}
{{- range .Values.agents.required }}
{{- $names = append $names . }}
{{- end }}
{{- if .Values.agents.example.enabled }}
{{- range $i := until (int .Values.agents.example.replicas) }}
{{- $names = append $names (printf "%s-%d" (include "gitfleet.lbName" $) $i) }}
{{- end }}
{{- end }}
{{- join "," $names }}
{{- end }}

{{/* The headless Service that gives each controller replica its own address when agents report to them. */}}
{{- define "gitfleet.replicasName" -}}
{{- printf "%s-replicas" (include "gitfleet.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Each controller replica's own URL, comma-separated: an agent reports to every one (reports live in each
replica's memory, and any may lead next). */}}
{{- define "gitfleet.replicaURLs" -}}
{{- $urls := list }}
{{- $scheme := ternary "https" "http" (not (empty .Values.api.tlsSecret)) }}
{{- range $i := until (int .Values.replicaCount) }}
{{- $urls = append $urls (printf "%s://%s-%d.%s.%s.svc:%d" $scheme (include "gitfleet.fullname" $) $i (include "gitfleet.replicasName" $) $.Release.Namespace (int $.Values.listenPort)) }}
{{- end }}
{{- join "," $urls }}
{{- end }}

{{/* Refuse combinations that cannot work, with a message saying what to change. */}}
{{- define "gitfleet.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not (include "gitfleet.etcdEndpoints" .)) }}
{{- fail "replicaCount > 1 needs etcd for leader election: set etcd.endpoints or etcd.example.enabled=true" }}
{{- end }}
{{- if and (eq .Values.runtime.kind "docker") (not .Values.runtime.dockerHosts) }}
{{- fail "runtime.kind=docker needs runtime.dockerHosts (tcp://host:2376 or unix:///path.sock)" }}
{{- end }}
{{- if and (ne .Values.git.auth "none") (not .Values.git.existingSecret) }}
{{- fail (printf "git.auth=%s needs git.existingSecret (a Secret with ssh-privatekey or token); use git.auth=none for an anonymous remote" .Values.git.auth) }}
{{- end }}
{{- if and .Values.webhooks.providers (not .Values.webhooks.existingSecret) }}
{{- fail "webhooks.providers needs webhooks.existingSecret (one key per provider)" }}
{{- end }}
{{- if and (not .Values.api.tokens) (not .Values.api.allowUnauthenticated) }}
{{- fail "api.tokens is empty: the controller listens on 0.0.0.0 and refuses to serve its API without tokens; list tokens (and api.existingSecret), or set api.allowUnauthenticated=true on purpose" }}
{{- end }}
{{- if and .Values.api.tokens (not .Values.api.existingSecret) }}
{{- fail "api.tokens needs api.existingSecret (a Secret with one key per token's name)" }}
{{- end }}
{{- if and (include "gitfleet.agentNames" .) (not .Values.agents.existingSecret) }}
{{- fail "agents (agents.required or agents.example.enabled) need agents.existingSecret: a Secret with one token per agent, named as the agent" }}
{{- end }}
{{- if and .Values.policy.requireSignedCommits (not .Values.policy.allowedSigners) }}
{{- fail "policy.requireSignedCommits needs policy.allowedSigners" }}
{{- end }}
{{- end }}
