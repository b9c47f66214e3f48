{{/* Names and labels, in the usual helm create shape. */}}
{{- define "patchgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "patchgate.fullname" -}}
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

{{- define "patchgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "patchgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "patchgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "patchgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "patchgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "patchgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
patchgate.replicas: replicaCount, or 2 on redis and 1 on bolt when it is
unset. Rendering fails when bolt would get more than one: two processes on
one bbolt file block on its lock (and on one ReadWriteOnce volume).
*/}}
{{- define "patchgate.replicas" -}}
{{- $backend := .Values.store.backend -}}
{{- if not (has $backend (list "bolt" "redis")) -}}
{{- fail (printf "store.backend: %q is not bolt or redis" $backend) -}}
{{- end -}}
{{- $n := 1 -}}
{{- if kindIs "invalid" .Values.replicaCount -}}
{{- $n = ternary 2 1 (eq $backend "redis") -}}
{{- else -}}
{{- $n = int .Values.replicaCount -}}
{{- end -}}
{{- if and (eq $backend "bolt") (gt $n 1) -}}
{{- fail (printf "replicaCount: %d replicas with store.backend bolt: bbolt is one file locked by one process, so only 1 replica can run; use store.backend redis for more" $n) -}}
{{- end -}}
{{- $n -}}
{{- end }}

{{/* patchgate.redisPasswordSecret: the Secret and key with Redis's password, or nothing. */}}
{{- define "patchgate.redisPasswordSecret" -}}
{{- if .Values.redis.enabled -}}
{{- if .Values.redis.auth.enabled -}}
{{ default (printf "%s-redis" .Release.Name) .Values.redis.auth.existingSecret }}/{{ default "redis-password" .Values.redis.auth.existingSecretPasswordKey }}
{{- end -}}
{{- else if .Values.store.redis.password.existingSecret -}}
{{ .Values.store.redis.password.existingSecret }}/{{ .Values.store.redis.password.key }}
{{- end -}}
{{- end }}

{{/* patchgate.store: the store section of patchgate.yaml, from store.* and redis.* */}}
{{- define "patchgate.store" -}}
{{- $s := dict "backend" .Values.store.backend -}}
{{- if eq .Values.store.backend "bolt" -}}
{{- $_ := set $s "bolt" (dict "path" "/var/lib/patchgate/state.db") -}}
{{- else -}}
{{- $r := dict "network" "tcp" "db" (int .Values.store.redis.db) "prefix" .Values.store.redis.prefix -}}
{{- if include "patchgate.redisPasswordSecret" . -}}
{{- $_ := set $r "password" "env:REDIS_PASSWORD" -}}
{{- end -}}
{{- if .Values.redis.enabled -}}
{{- if .Values.redis.sentinel.enabled -}}
{{- $sent := dict "master_name" .Values.redis.sentinel.masterSet "addrs" (list (printf "%s-redis:26379" .Release.Name)) -}}
{{- if and .Values.redis.auth.enabled .Values.redis.auth.sentinel -}}
{{- $_ := set $sent "password" "env:REDIS_PASSWORD" -}}
{{- end -}}
{{- $_ := set $r "sentinel" $sent -}}
{{- else -}}
{{- $_ := set $r "addr" (printf "%s-redis-master:6379" .Release.Name) -}}
{{- end -}}
{{- else -}}
{{- $ext := .Values.store.redis -}}
{{- if $ext.sentinel.masterName -}}
{{- if not $ext.sentinel.addrs -}}
{{- fail "store.redis.sentinel.addrs: list the Sentinels (host:26379) when sentinel.masterName is set" -}}
{{- end -}}
{{- $sent := dict "master_name" $ext.sentinel.masterName "addrs" $ext.sentinel.addrs -}}
{{- if and $ext.sentinel.usePassword $ext.password.existingSecret -}}
{{- $_ := set $sent "password" "env:REDIS_PASSWORD" -}}
{{- end -}}
{{- $_ := set $r "sentinel" $sent -}}
{{- else if $ext.addr -}}
{{- $_ := set $r "addr" $ext.addr -}}
{{- else -}}
{{- fail "store.backend redis needs store.redis.addr, store.redis.sentinel.masterName + addrs, or redis.enabled (the bundled chart)" -}}
{{- end -}}
{{- if $ext.tls.enabled -}}
{{- $tls := dict "enabled" true -}}
{{- if $ext.tls.caSecret -}}
{{- $_ := set $tls "ca_file" "/etc/patchgate/redis-tls/ca.crt" -}}
{{- end -}}
{{- if $ext.tls.serverName -}}
{{- $_ := set $tls "server_name" $ext.tls.serverName -}}
{{- end -}}
{{- $_ := set $r "tls" $tls -}}
{{- end -}}
{{- end -}}
{{- $_ := set $s "redis" $r -}}
{{- end -}}
{{- toYaml $s -}}
{{- end }}

{{/* patchgate.slackSecret: the Secret holding the Slack tokens. */}}
{{- define "patchgate.slackSecret" -}}
{{- default (printf "%s-slack" (include "patchgate.fullname" .)) .Values.slack.existingSecret -}}
{{- end }}
