package deploy_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"windowbot/configs"
)

// k8sObject is what the test reads of the Kubernetes example's objects.
type k8sObject struct {
	Kind     string
	Metadata struct{ Name string }
	Data     map[string]string
	Spec     struct {
		Replicas     int
		MinAvailable int `yaml:"minAvailable"`
		Selector     struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		}
		Template struct {
			Metadata struct{ Labels map[string]string }
			Spec     struct {
				Containers []struct {
					Args  []string
					Ports []struct {
						Name          string
						ContainerPort int `yaml:"containerPort"`
					}
					EnvFrom []struct {
						ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
						SecretRef    *struct{ Name string } `yaml:"secretRef"`
					} `yaml:"envFrom"`
					Env []struct {
						Name  string
						Value string
					}
					ReadinessProbe probe `yaml:"readinessProbe"`
					LivenessProbe  probe `yaml:"livenessProbe"`
				}
			}
		}
	}
}

type probe struct {
	HTTPGet struct {
		Path string
		Port string
	} `yaml:"httpGet"`
}

func readKubernetes(t *testing.T) map[string]k8sObject {
	t.Helper()
	b, err := os.ReadFile("kubernetes/windowbot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]k8sObject{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var o k8sObject
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		objs[o.Kind] = o
	}
	return objs
}

// The Kubernetes example fits the program: readiness on /readyz, liveness on /healthz, the port
// the program listens on, settings it knows, secrets from a Secret, a disruption budget that
// keeps replicas serving.
func TestKubernetesExampleFitsTheProgram(t *testing.T) {
	objs := readKubernetes(t)
	for _, kind := range []string{"ConfigMap", "Deployment", "PodDisruptionBudget", "Service"} {
		if _, ok := objs[kind]; !ok {
			t.Fatalf("no %s in the example", kind)
		}
	}
	known := map[string]configs.EnvVar{}
	for _, e := range configs.EnvVars() {
		known[e.Name] = e
	}
	for name := range objs["ConfigMap"].Data {
		e, ok := known[name]
		if !ok {
			t.Errorf("the ConfigMap sets %s, which windowbot does not read", name)
		}
		if e.Secret {
			t.Errorf("the ConfigMap holds the secret %s: it belongs in the Secret", name)
		}
	}

	d := objs["Deployment"]
	if d.Spec.Replicas < 2 {
		t.Errorf("replicas %d", d.Spec.Replicas)
	}
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("containers: %+v", d.Spec.Template.Spec.Containers)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if len(c.Args) != 1 || c.Args[0] != "serve" {
		t.Errorf("args %v", c.Args)
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 8080 || !strings.HasSuffix(objs["ConfigMap"].Data["WINDOWBOT_HTTP_ADDR"], ":8080") {
		t.Errorf("ports %+v, http_addr %q", c.Ports, objs["ConfigMap"].Data["WINDOWBOT_HTTP_ADDR"])
	}
	if c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe.HTTPGet.Path != "/healthz" ||
		c.ReadinessProbe.HTTPGet.Port != c.Ports[0].Name || c.LivenessProbe.HTTPGet.Port != c.Ports[0].Name {
		t.Errorf("probes: readiness %+v, liveness %+v", c.ReadinessProbe, c.LivenessProbe)
	}
	for _, e := range c.Env {
		if k, ok := known[e.Name]; !ok || k.Secret {
			t.Errorf("env %s: unknown or a secret in plain text", e.Name)
		}
	}
	var fromSecret, fromConfig bool
	for _, ef := range c.EnvFrom {
		fromSecret = fromSecret || ef.SecretRef != nil && ef.SecretRef.Name == "windowbot"
		fromConfig = fromConfig || ef.ConfigMapRef != nil && ef.ConfigMapRef.Name == objs["ConfigMap"].Metadata.Name
	}
	if !fromSecret || !fromConfig {
		t.Errorf("envFrom %+v: want the ConfigMap and the Secret", c.EnvFrom)
	}

	labels := d.Spec.Template.Metadata.Labels
	for name, sel := range map[string]map[string]string{
		"Deployment":          d.Spec.Selector.MatchLabels,
		"PodDisruptionBudget": objs["PodDisruptionBudget"].Spec.Selector.MatchLabels,
	} {
		if len(sel) == 0 {
			t.Errorf("%s selects nothing", name)
		}
		for k, v := range sel {
			if labels[k] != v {
				t.Errorf("%s selects %s=%s, the pods are %v", name, k, v, labels)
			}
		}
	}
	if pdb := objs["PodDisruptionBudget"].Spec.MinAvailable; pdb < 1 || pdb >= d.Spec.Replicas {
		t.Errorf("the disruption budget keeps %d of %d replicas", pdb, d.Spec.Replicas)
	}
}
