package helmchart

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// rendered is one release's manifests, decoded strictly into the
// Kubernetes API types: a key the API does not have, or a value of the
// wrong type, fails the render.
type rendered struct {
	Deployment     *appsv1.Deployment
	ConfigMap      *corev1.ConfigMap
	Secret         *corev1.Secret
	ServiceAccount *corev1.ServiceAccount
	Service        *corev1.Service
	PVC            *corev1.PersistentVolumeClaim
	PDB            *policyv1.PodDisruptionBudget
	ServiceMonitor map[string]any // a CRD: no Go type in k8s.io/api
	Notes          string
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := loader.Load("patchgate")
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return c
}

// render runs Helm's template engine as `helm template pg -n patchgate`
// would, on Kubernetes 1.31.
func render(t *testing.T, vals map[string]any) (*rendered, error) {
	t.Helper()
	c := loadChart(t)
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = chartutil.KubeVersion{Version: "v1.31.0", Major: "1", Minor: "31"}
	rv, err := chartutil.ToRenderValues(c, vals, chartutil.ReleaseOptions{
		Name: "pg", Namespace: "patchgate", Revision: 1, IsInstall: true,
	}, caps)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	files, err := engine.Render(c, rv)
	if err != nil {
		return nil, err
	}
	r := &rendered{}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.HasSuffix(name, "NOTES.txt") {
			r.Notes = files[name]
			continue
		}
		for _, doc := range strings.Split(files[name], "\n---") {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			if err := r.add(name, []byte(doc)); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// add decodes one manifest into the type its apiVersion and kind name.
func (r *rendered) add(file string, doc []byte) error {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	strict := func(dst any) error {
		if err := yaml.UnmarshalStrict(doc, dst); err != nil {
			return fmt.Errorf("%s: %s %s: %w", file, head.APIVersion, head.Kind, err)
		}
		return nil
	}
	type want struct {
		apiVersion string
		dst        any
	}
	var w want
	switch head.Kind {
	case "Deployment":
		r.Deployment = &appsv1.Deployment{}
		w = want{"apps/v1", r.Deployment}
	case "ConfigMap":
		r.ConfigMap = &corev1.ConfigMap{}
		w = want{"v1", r.ConfigMap}
	case "Secret":
		r.Secret = &corev1.Secret{}
		w = want{"v1", r.Secret}
	case "ServiceAccount":
		r.ServiceAccount = &corev1.ServiceAccount{}
		w = want{"v1", r.ServiceAccount}
	case "Service":
		r.Service = &corev1.Service{}
		w = want{"v1", r.Service}
	case "PersistentVolumeClaim":
		r.PVC = &corev1.PersistentVolumeClaim{}
		w = want{"v1", r.PVC}
	case "PodDisruptionBudget":
		r.PDB = &policyv1.PodDisruptionBudget{}
		w = want{"policy/v1", r.PDB}
	case "ServiceMonitor":
		r.ServiceMonitor = map[string]any{}
		w = want{"monitoring.coreos.com/v1", &r.ServiceMonitor}
	default:
		return fmt.Errorf("%s: unexpected kind %q", file, head.Kind)
	}
	if head.APIVersion != w.apiVersion {
		return fmt.Errorf("%s: %s has apiVersion %q, want %q", file, head.Kind, head.APIVersion, w.apiVersion)
	}
	return strict(w.dst)
}

// mustRender fails the test when the chart does not render.
func mustRender(t *testing.T, vals map[string]any) *rendered {
	t.Helper()
	r, err := render(t, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if r.Deployment == nil || r.ConfigMap == nil || r.Service == nil {
		t.Fatal("render: Deployment, ConfigMap or Service missing")
	}
	return r
}

// values parses a YAML values document, as `helm -f` would.
func values(t *testing.T, doc string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("values: %v", err)
	}
	return v
}

func valuesFile(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return values(t, string(b))
}

// exampleConfig is deploy/examples/patchgate.yaml without its store
// section (the chart writes that) and x- anchors resolved, as chart values.
func exampleConfig(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../examples/patchgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	delete(cfg, "store")
	for k := range cfg {
		if strings.HasPrefix(k, "x-") {
			delete(cfg, k)
		}
	}
	return cfg
}

// TestStrictDecoding: the decoding above refuses what the API server would,
// so a typo in a template cannot pass as an ignored field.
func TestStrictDecoding(t *testing.T) {
	for name, doc := range map[string]string{
		"misspelt field":   "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replica: 2\n",
		"wrong type":       "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: two\n",
		"wrong apiVersion": "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\n",
		"unknown kind":     "apiVersion: v1\nkind: Pod\n",
	} {
		if err := (&rendered{}).add(name, []byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := (&rendered{}).add("ok", []byte("apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 2\n")); err != nil {
		t.Errorf("a valid Deployment was refused: %v", err)
	}
}
