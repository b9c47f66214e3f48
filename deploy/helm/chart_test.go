package helmchart

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/patchgate/patchgate/config"
)

// redisSentinelTLS is an external Redis behind Sentinel with TLS, with each
// cloud's workload identity; .ci/helm lints and templates the same file.
const redisSentinelTLS = "patchgate/ci/redis-sentinel-tls-values.yaml"

// TestDefaults: one replica on bbolt with its volume, hardened, probed.
func TestDefaults(t *testing.T) {
	r := mustRender(t, nil)
	d := r.Deployment
	if *d.Spec.Replicas != 1 {
		t.Errorf("replicas %d, want 1 on bolt", *d.Spec.Replicas)
	}
	if d.Spec.Strategy.Type != "Recreate" {
		t.Errorf("strategy %s: a rolling update would start a second process on the bbolt file", d.Spec.Strategy.Type)
	}
	if r.PDB != nil {
		t.Error("a PDB with one replica would block every node drain")
	}
	if r.PVC == nil || r.PVC.Spec.Resources.Requests.Storage().String() != "1Gi" {
		t.Fatalf("PVC %+v, want a 1Gi claim", r.PVC)
	}
	if r.PVC.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Error("the state PVC (the audit log) must survive helm uninstall")
	}
	pod := d.Spec.Template.Spec
	if v := volume(pod, "state"); v == nil || v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != r.PVC.Name {
		t.Errorf("state volume %+v, want the claim %s", v, r.PVC.Name)
	}
	if m := mount(pod.Containers[0], "state"); m == nil || m.MountPath != "/var/lib/patchgate" {
		t.Errorf("state mount %+v: config.DefaultBoltPath is under /var/lib/patchgate", m)
	}
	checkHardened(t, pod)
	checkProbes(t, pod.Containers[0])
	checkEnv(t, pod.Containers[0])
	checkSecretRefs(t, r)
	if r.Secret != nil {
		t.Error("a Secret was rendered with no tokens given")
	}
	if sa := r.ServiceAccount; sa == nil || len(sa.Annotations) != 0 || *sa.AutomountServiceAccountToken {
		t.Errorf("ServiceAccount %+v: want no identity annotations and no token mount", sa)
	}
	store := loadConfig(t, nil, false)
	if store.Backend != config.BackendBolt || store.Bolt.Path != config.DefaultBoltPath {
		t.Errorf("rendered store %+v", store)
	}
}

func checkHardened(t *testing.T, pod corev1.PodSpec) {
	t.Helper()
	ps := pod.SecurityContext
	if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser == 0 {
		t.Errorf("pod securityContext %+v: want non-root", ps)
	}
	if ps == nil || ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("pod seccomp profile is not RuntimeDefault")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("pod mounts a Kubernetes API token it never uses")
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Fatal("container has no securityContext")
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Error("allowPrivilegeEscalation is not false")
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Error("root filesystem is writable")
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
		t.Errorf("capabilities %+v, want drop ALL and add none", sc.Capabilities)
	case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
		t.Error("container runAsNonRoot is not true")
	}
	if mount(c, "tmp") == nil {
		t.Error("no writable /tmp on a read-only root filesystem")
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want CPU and memory requests and a memory limit", c.Resources)
	}
}

func checkProbes(t *testing.T, c corev1.Container) {
	t.Helper()
	var metrics int32
	for _, p := range c.Ports {
		if p.Name == "metrics" {
			metrics = p.ContainerPort
		}
	}
	if metrics != 9090 {
		t.Errorf("metrics port %d, want 9090 (observability.listen's default)", metrics)
	}
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		want := map[string]string{"liveness": "/healthz", "readiness": "/readyz"}[name]
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != want || p.HTTPGet.Port.String() != "metrics" {
			t.Errorf("%s probe %+v, want GET %s on the metrics port", name, p, want)
		}
	}
}

func checkEnv(t *testing.T, c corev1.Container) {
	t.Helper()
	replica := env(c, "PATCHGATE_REPLICA")
	if replica == nil || replica.ValueFrom == nil || replica.ValueFrom.FieldRef == nil || replica.ValueFrom.FieldRef.FieldPath != "metadata.name" {
		t.Errorf("PATCHGATE_REPLICA %+v, want the pod name from the downward API", replica)
	}
	bot := env(c, "SLACK_BOT_TOKEN")
	if bot == nil || bot.Value != "" || bot.ValueFrom == nil || bot.ValueFrom.SecretKeyRef == nil || bot.ValueFrom.SecretKeyRef.Key != "slack-bot-token" {
		t.Errorf("SLACK_BOT_TOKEN %+v, want it from a Secret", bot)
	}
	for _, e := range c.Env {
		if strings.Contains(e.Name, "TOKEN") || strings.Contains(e.Name, "PASSWORD") || strings.Contains(e.Name, "SECRET") {
			if e.Value != "" {
				t.Errorf("%s has an inline value", e.Name)
			}
		}
	}
	if args := strings.Join(c.Args, " "); args != "serve --config /etc/patchgate/patchgate.yaml" {
		t.Errorf("args %q", args)
	}
}

// TestRedisHA: an external Redis behind Sentinel with TLS, two replicas by
// default, a PDB, and each cloud's workload identity on the ServiceAccount.
func TestRedisHA(t *testing.T) {
	r := mustRender(t, valuesFile(t, redisSentinelTLS))
	d := r.Deployment
	if *d.Spec.Replicas != 2 {
		t.Errorf("replicas %d, want 2 by default on redis", *d.Spec.Replicas)
	}
	if d.Spec.Strategy.Type != "RollingUpdate" || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		t.Errorf("strategy %+v, want a rolling update that keeps every replica up", d.Spec.Strategy)
	}
	if r.PDB == nil || r.PDB.Spec.MinAvailable == nil || r.PDB.Spec.MinAvailable.IntValue() != 1 {
		t.Fatalf("PDB %+v, want minAvailable 1", r.PDB)
	}
	if sel := r.PDB.Spec.Selector.MatchLabels; sel["app.kubernetes.io/instance"] != "pg" || sel["app.kubernetes.io/name"] != "patchgate" {
		t.Errorf("PDB selector %v does not pick the pods", sel)
	}
	if r.PVC != nil {
		t.Error("a bbolt PVC was rendered for the redis backend")
	}
	pod := d.Spec.Template.Spec
	checkHardened(t, pod)
	checkProbes(t, pod.Containers[0])
	checkEnv(t, pod.Containers[0])
	checkSecretRefs(t, r)
	if len(pod.TopologySpreadConstraints) == 0 {
		t.Error("replicas are not spread over nodes")
	}
	pw := env(pod.Containers[0], "REDIS_PASSWORD")
	if pw == nil || pw.ValueFrom == nil || pw.ValueFrom.SecretKeyRef.Name != "platform-redis" || pw.ValueFrom.SecretKeyRef.Key != "password" {
		t.Errorf("REDIS_PASSWORD %+v, want the key password of Secret platform-redis", pw)
	}
	if v := volume(pod, "redis-tls"); v == nil || v.Secret == nil || v.Secret.SecretName != "platform-redis-ca" {
		t.Errorf("redis-tls volume %+v", v)
	}
	if bot := env(pod.Containers[0], "SLACK_BOT_TOKEN"); bot.ValueFrom.SecretKeyRef.Name != "patchgate-slack" {
		t.Errorf("Slack tokens from %q, want the existing Secret patchgate-slack", bot.ValueFrom.SecretKeyRef.Name)
	}

	sa := r.ServiceAccount
	for k, v := range map[string]string{
		"eks.amazonaws.com/role-arn":        "arn:aws:iam::123456789012:role/patchgate",
		"azure.workload.identity/client-id": "00000000-0000-0000-0000-00000000c1d0",
		"azure.workload.identity/tenant-id": "00000000-0000-0000-0000-0000000007e4",
		"iam.gke.io/gcp-service-account":    "patchgate@bank-ops.iam.gserviceaccount.com",
	} {
		if sa.Annotations[k] != v {
			t.Errorf("ServiceAccount annotation %s = %q, want %q", k, sa.Annotations[k], v)
		}
	}
	if d.Spec.Template.Labels["azure.workload.identity/use"] != "true" {
		t.Error("pods lack the label azure.workload.identity/use that the Azure webhook selects on")
	}
	if pod.ServiceAccountName != sa.Name {
		t.Errorf("pod runs as %q, the annotated account is %q", pod.ServiceAccountName, sa.Name)
	}

	sm := r.ServiceMonitor
	if sm == nil {
		t.Fatal("no ServiceMonitor")
	}
	if eps, _ := sm["spec"].(map[string]any)["endpoints"].([]any); len(eps) != 1 || eps[0].(map[string]any)["port"] != "metrics" {
		t.Errorf("ServiceMonitor endpoints %v", eps)
	}

	cfg := configText(t, r)
	for _, want := range []string{"backend: redis", "master_name: patchgate", "sentinel-2.platform:26379", "password: env:REDIS_PASSWORD", "ca_file: /etc/patchgate/redis-tls/ca.crt", "server_name: redis.platform.internal", "db: 2"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("rendered patchgate.yaml lacks %q:\n%s", want, cfg)
		}
	}
	loadConfig(t, valuesFile(t, redisSentinelTLS), true)
}

// TestBundledRedis: with the Bitnami dependency, patchgate finds the master
// through its Sentinels and reads the password Bitnami generated.
func TestBundledRedis(t *testing.T) {
	bundled := "store: {backend: redis}\nredis: {enabled: true}\nslack: {existingSecret: s}\n"
	r := mustRender(t, values(t, bundled))
	cfg := configText(t, r)
	for _, want := range []string{"master_name: mymaster", "- pg-redis:26379", "password: env:REDIS_PASSWORD"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("rendered patchgate.yaml lacks %q:\n%s", want, cfg)
		}
	}
	checkSecretRefs(t, r)
	pw := env(r.Deployment.Spec.Template.Spec.Containers[0], "REDIS_PASSWORD")
	if pw == nil || pw.ValueFrom.SecretKeyRef.Name != "pg-redis" || pw.ValueFrom.SecretKeyRef.Key != "redis-password" {
		t.Errorf("REDIS_PASSWORD %+v, want Bitnami's Secret pg-redis", pw)
	}
	r = mustRender(t, values(t, "store: {backend: redis}\nredis: {enabled: true, sentinel: {enabled: false}}\nslack: {existingSecret: s}\n"))
	if cfg := configText(t, r); !strings.Contains(cfg, "addr: pg-redis-master:6379") {
		t.Errorf("without Sentinel the master service should be the address:\n%s", cfg)
	}
	loadConfig(t, values(t, bundled), true)
}

// TestRefusals: values that would run a broken deployment do not render.
func TestRefusals(t *testing.T) {
	for name, tc := range map[string]struct{ values, want string }{
		"bolt with two replicas":  {"replicaCount: 2", "only 1 replica"},
		"bolt with five replicas": {"replicaCount: 5\nstore: {backend: bolt}", "only 1 replica"},
		"redis without address":   {"store: {backend: redis}", "store.redis.addr"},
		"sentinel without addrs":  {"store: {backend: redis, redis: {sentinel: {masterName: m}}}", "sentinel.addrs"},
		"unknown backend":         {"store: {backend: etcd}", "backend"},
		"store in config":         {"config: {store: {backend: redis}}", "config.store"},
		"misspelt value":          {"replicas: 3", "replicas"},
		"misplaced value":         {"store: {redis: {password: hunter2}}", "password"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := render(t, values(t, tc.values))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("render error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestReplicaCount: an explicit count wins on redis; a PDB follows it.
func TestReplicaCount(t *testing.T) {
	r := mustRender(t, values(t, "replicaCount: 3\nstore: {backend: redis, redis: {addr: 'redis:6379'}}"))
	if *r.Deployment.Spec.Replicas != 3 || r.PDB == nil {
		t.Errorf("replicas %d, PDB %v: want 3 and a PDB", *r.Deployment.Spec.Replicas, r.PDB != nil)
	}
	r = mustRender(t, values(t, "replicaCount: 1\nstore: {backend: redis, redis: {addr: 'redis:6379'}}"))
	if *r.Deployment.Spec.Replicas != 1 || r.PDB != nil {
		t.Errorf("replicas %d, PDB %v: want 1 and no PDB", *r.Deployment.Spec.Replicas, r.PDB != nil)
	}
}

// TestInlineTokensSecret: tokens given as values become a Secret the pod
// reads; they never appear in the pod spec or the ConfigMap.
func TestInlineTokensSecret(t *testing.T) {
	r := mustRender(t, values(t, "slack: {botToken: xoxb-test-123, appToken: xapp-test-456}"))
	if r.Secret == nil || string(r.Secret.Data["slack-bot-token"]) != "xoxb-test-123" || string(r.Secret.Data["slack-app-token"]) != "xapp-test-456" {
		t.Fatalf("Secret %+v", r.Secret)
	}
	if ref := env(r.Deployment.Spec.Template.Spec.Containers[0], "SLACK_BOT_TOKEN").ValueFrom.SecretKeyRef; ref.Name != r.Secret.Name {
		t.Errorf("SLACK_BOT_TOKEN from %q, the chart's Secret is %q", ref.Name, r.Secret.Name)
	}
	if cfg := configText(t, r); strings.Contains(cfg, "xoxb-test") || strings.Contains(cfg, "xapp-test") {
		t.Error("a token reached the ConfigMap")
	}
}

// TestConfigChangeRollsPods: the config is mounted with subPath, which
// Kubernetes never refreshes, so a changed config must change the pod
// template.
func TestConfigChangeRollsPods(t *testing.T) {
	a := mustRender(t, nil).Deployment.Spec.Template.Annotations["checksum/config"]
	b := mustRender(t, values(t, "config: {engine: {workers: 4}}")).Deployment.Spec.Template.Annotations["checksum/config"]
	if a == "" || a == b {
		t.Errorf("checksum/config %q then %q: a config change would not restart the pods", a, b)
	}
}

func configText(t *testing.T, r *rendered) string {
	t.Helper()
	cfg, ok := r.ConfigMap.Data["patchgate.yaml"]
	if !ok {
		t.Fatal("ConfigMap has no patchgate.yaml")
	}
	return cfg
}

// loadConfig renders the chart with vals and the complete example file as
// config, and loads the patchgate.yaml it wrote with patchgate's own loader,
// so the chart cannot write a key or shape the bot would refuse at start-up.
// needsHA marks values using store keys (TLS, Sentinel) this build's config
// may not have yet; the load is skipped, saying so, until it does.
func loadConfig(t *testing.T, vals map[string]any, needsHA bool) config.Store {
	t.Helper()
	if needsHA {
		have := map[string]bool{}
		for _, k := range config.Schema() {
			have[k.Path] = true
		}
		if !have["store.redis.sentinel"] || !have["store.redis.tls"] {
			t.Log("config has no store.redis.sentinel/tls yet: the rendered file was not loaded")
			return config.Store{}
		}
	}
	if vals == nil {
		vals = map[string]any{}
	}
	vals["config"] = exampleConfig(t)
	r := mustRender(t, vals)
	c, err := config.Parse("rendered-patchgate.yaml", []byte(configText(t, r)))
	if err != nil {
		t.Fatalf("patchgate would refuse the rendered config: %v\n%s", err, configText(t, r))
	}
	return c.Store
}

// checkSecretRefs: every env:NAME the rendered config references is an
// environment variable the container gets, or the bot would stop at start
// with "environment variable NAME is not set".
func checkSecretRefs(t *testing.T, r *rendered) {
	t.Helper()
	c := r.Deployment.Spec.Template.Spec.Containers[0]
	refs := regexp.MustCompile(`env:([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(configText(t, r), -1)
	if len(refs) == 0 {
		t.Fatal("rendered config references no env: secrets; the test is looking at the wrong thing")
	}
	for _, m := range refs {
		if env(c, m[1]) == nil {
			t.Errorf("config references env:%s, which the container does not set", m[1])
		}
	}
}

func env(c corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

func volume(pod corev1.PodSpec, name string) *corev1.Volume {
	for i := range pod.Volumes {
		if pod.Volumes[i].Name == name {
			return &pod.Volumes[i]
		}
	}
	return nil
}

func mount(c corev1.Container, name string) *corev1.VolumeMount {
	for i := range c.VolumeMounts {
		if c.VolumeMounts[i].Name == name {
			return &c.VolumeMounts[i]
		}
	}
	return nil
}
