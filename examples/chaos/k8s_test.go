package main

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/memberlist-go/memberlist/runtime"
)

// The manifests agree with each other and with the code's defaults: the
// service's UDP port is the default bind port, the StatefulSet uses the
// service, its pods expose that port under the name the SRV query asks for,
// and the readiness probe hits the HTTP handler's health path.
func TestKubernetesManifestsAgreeWithCode(t *testing.T) {
	var svc struct {
		Metadata struct{ Name string }
		Spec     struct {
			ClusterIP                string `yaml:"clusterIP"`
			PublishNotReadyAddresses bool   `yaml:"publishNotReadyAddresses"`
			Selector                 map[string]string
			Ports                    []struct {
				Name       string
				Protocol   string
				TargetPort string `yaml:"targetPort"`
				Port       int
			}
		}
	}
	var sts struct {
		Spec struct {
			ServiceName string `yaml:"serviceName"`
			Template    struct {
				Metadata struct{ Labels map[string]string }
				Spec     struct {
					Containers []struct {
						Args  []string
						Ports []struct {
							Name          string
							ContainerPort int `yaml:"containerPort"`
							Protocol      string
						}
						Env []struct {
							Name, Value string
						}
						ReadinessProbe struct {
							HTTPGet struct{ Path, Port string } `yaml:"httpGet"`
						} `yaml:"readinessProbe"`
					}
				}
			}
		}
	}
	load(t, "k8s/service.yaml", &svc)
	load(t, "k8s/statefulset.yaml", &sts)

	_, p, _ := net.SplitHostPort(runtime.DefaultLANConfig().BindAddr)
	defaultPort, _ := strconv.Atoi(p)
	if svc.Spec.ClusterIP != "None" || !svc.Spec.PublishNotReadyAddresses {
		t.Errorf("service must be headless and publish not-ready addresses: %+v", svc.Spec)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != defaultPort || svc.Spec.Ports[0].Protocol != "UDP" {
		t.Fatalf("service ports %+v, want one UDP port %d", svc.Spec.Ports, defaultPort)
	}
	portName := svc.Spec.Ports[0].Name
	if sts.Spec.ServiceName != svc.Metadata.Name {
		t.Errorf("StatefulSet serviceName %q, service %q", sts.Spec.ServiceName, svc.Metadata.Name)
	}
	for k, v := range svc.Spec.Selector {
		if sts.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("service selector %s=%s does not match the pods", k, v)
		}
	}
	c := sts.Spec.Template.Spec.Containers[0]
	found := false
	for _, cp := range c.Ports {
		if cp.Name == svc.Spec.Ports[0].TargetPort {
			found = cp.ContainerPort == defaultPort && cp.Protocol == "UDP"
		}
	}
	if !found {
		t.Errorf("no container port %q = %d/UDP: %+v", svc.Spec.Ports[0].TargetPort, defaultPort, c.Ports)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	wantDNS := "_" + portName + "._udp." + svc.Metadata.Name + "."
	if !strings.HasPrefix(env["MEMBERLIST_DNS"], wantDNS) {
		t.Errorf("MEMBERLIST_DNS %q, want the SRV name %s<namespace>...", env["MEMBERLIST_DNS"], wantDNS)
	}
	if _, p, _ := net.SplitHostPort(env["MEMBERLIST_BIND_ADDR"]); p != strconv.Itoa(defaultPort) {
		t.Errorf("MEMBERLIST_BIND_ADDR %q, want port %d", env["MEMBERLIST_BIND_ADDR"], defaultPort)
	}
	if c.ReadinessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("readiness probe path %q, want /healthz", c.ReadinessProbe.HTTPGet.Path)
	}
	docker, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docker), "EXPOSE "+strconv.Itoa(defaultPort)+"/udp") {
		t.Errorf("Dockerfile does not expose %d/udp", defaultPort)
	}
}

func load(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
