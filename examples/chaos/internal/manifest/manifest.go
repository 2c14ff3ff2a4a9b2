// Package manifest reads the chaos example's Kubernetes manifests
// (examples/chaos/k8s) into typed values, strictly: a field this package
// does not know is an error, so that a misspelt key in a manifest (which
// the API server would reject, or worse, silently drop) fails the tests
// that read them. It knows only what those manifests use.
//
// It also works out a container's environment as the kubelet would, so
// that a test can start a member exactly as a pod runs it.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// Meta is an object's metadata.
type Meta struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace"`
	Labels    map[string]string `yaml:"labels"`
}

// Header is what every object starts with.
type Header struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   Meta   `yaml:"metadata"`
}

// Kustomization is the directory's kustomization.yaml.
type Kustomization struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Namespace  string   `yaml:"namespace"`
	Resources  []string `yaml:"resources"`
}

// ConfigMap is a v1 ConfigMap.
type ConfigMap struct {
	Header `yaml:",inline"`
	Data   map[string]string `yaml:"data"`
}

// Service is a v1 Service.
type Service struct {
	Header `yaml:",inline"`
	Spec   struct {
		ClusterIP                string            `yaml:"clusterIP"`
		PublishNotReadyAddresses bool              `yaml:"publishNotReadyAddresses"`
		Selector                 map[string]string `yaml:"selector"`
		Ports                    []ServicePort     `yaml:"ports"`
	} `yaml:"spec"`
}

// ServicePort is one port of a Service.
type ServicePort struct {
	Name       string `yaml:"name"`
	Port       int    `yaml:"port"`
	TargetPort string `yaml:"targetPort"`
	Protocol   string `yaml:"protocol"`
}

// LabelSelector selects by labels.
type LabelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

// Matches reports whether labels carry every label s asks for; an empty
// selector matches nothing here, as none of these manifests means "all".
func (s LabelSelector) Matches(labels map[string]string) bool {
	if len(s.MatchLabels) == 0 {
		return false
	}
	for k, v := range s.MatchLabels {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// StatefulSet is an apps/v1 StatefulSet.
type StatefulSet struct {
	Header `yaml:",inline"`
	Spec   struct {
		ServiceName         string        `yaml:"serviceName"`
		Replicas            int           `yaml:"replicas"`
		PodManagementPolicy string        `yaml:"podManagementPolicy"`
		Selector            LabelSelector `yaml:"selector"`
		Template            struct {
			Metadata Meta    `yaml:"metadata"`
			Spec     PodSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// PodSpec is a pod template's spec.
type PodSpec struct {
	TerminationGracePeriodSeconds int                        `yaml:"terminationGracePeriodSeconds"`
	EnableServiceLinks            *bool                      `yaml:"enableServiceLinks"`
	AutomountServiceAccountToken  *bool                      `yaml:"automountServiceAccountToken"`
	SecurityContext               SecurityContext            `yaml:"securityContext"`
	TopologySpreadConstraints     []TopologySpreadConstraint `yaml:"topologySpreadConstraints"`
	Containers                    []Container                `yaml:"containers"`
	Volumes                       []Volume                   `yaml:"volumes"`
}

// SecurityContext holds the pod's and the container's fields alike.
type SecurityContext struct {
	RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
	RunAsUser                *int  `yaml:"runAsUser"`
	RunAsGroup               *int  `yaml:"runAsGroup"`
	FSGroup                  *int  `yaml:"fsGroup"`
	AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
	ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
	Capabilities             struct {
		Drop []string `yaml:"drop"`
		Add  []string `yaml:"add"`
	} `yaml:"capabilities"`
	SeccompProfile struct {
		Type string `yaml:"type"`
	} `yaml:"seccompProfile"`
}

// TopologySpreadConstraint spreads pods over a topology.
type TopologySpreadConstraint struct {
	MaxSkew           int           `yaml:"maxSkew"`
	TopologyKey       string        `yaml:"topologyKey"`
	WhenUnsatisfiable string        `yaml:"whenUnsatisfiable"`
	LabelSelector     LabelSelector `yaml:"labelSelector"`
}

// Container is one container of a pod.
type Container struct {
	Name            string          `yaml:"name"`
	Image           string          `yaml:"image"`
	ImagePullPolicy string          `yaml:"imagePullPolicy"`
	Args            []string        `yaml:"args"`
	Ports           []ContainerPort `yaml:"ports"`
	Env             []EnvVar        `yaml:"env"`
	VolumeMounts    []VolumeMount   `yaml:"volumeMounts"`
	ReadinessProbe  *Probe          `yaml:"readinessProbe"`
	LivenessProbe   *Probe          `yaml:"livenessProbe"`
	Resources       struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext SecurityContext `yaml:"securityContext"`
}

// ContainerPort is one port a container listens on.
type ContainerPort struct {
	Name          string `yaml:"name"`
	ContainerPort int    `yaml:"containerPort"`
	Protocol      string `yaml:"protocol"`
}

// EnvVar is one variable of a container's environment.
type EnvVar struct {
	Name      string     `yaml:"name"`
	Value     string     `yaml:"value"`
	ValueFrom *EnvSource `yaml:"valueFrom"`
}

// EnvSource is where a variable's value comes from.
type EnvSource struct {
	FieldRef        *FieldRef `yaml:"fieldRef"`
	ConfigMapKeyRef *KeyRef   `yaml:"configMapKeyRef"`
	SecretKeyRef    *KeyRef   `yaml:"secretKeyRef"`
}

// FieldRef names a field of the pod (the downward API).
type FieldRef struct {
	FieldPath string `yaml:"fieldPath"`
}

// KeyRef names a key of a ConfigMap or Secret.
type KeyRef struct {
	Name string `yaml:"name"`
	Key  string `yaml:"key"`
}

// VolumeMount mounts a volume into a container.
type VolumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	ReadOnly  bool   `yaml:"readOnly"`
}

// Volume is one volume of a pod; these manifests use Secrets only.
type Volume struct {
	Name   string `yaml:"name"`
	Secret *struct {
		SecretName  string `yaml:"secretName"`
		DefaultMode *int   `yaml:"defaultMode"`
		Items       []struct {
			Key  string `yaml:"key"`
			Path string `yaml:"path"`
		} `yaml:"items"`
	} `yaml:"secret"`
}

// Probe is an HTTP probe.
type Probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
	InitialDelaySeconds int `yaml:"initialDelaySeconds"`
	PeriodSeconds       int `yaml:"periodSeconds"`
	TimeoutSeconds      int `yaml:"timeoutSeconds"`
	FailureThreshold    int `yaml:"failureThreshold"`
}

// PodDisruptionBudget is a policy/v1 PodDisruptionBudget.
type PodDisruptionBudget struct {
	Header `yaml:",inline"`
	Spec   struct {
		MaxUnavailable *int          `yaml:"maxUnavailable"`
		MinAvailable   *int          `yaml:"minAvailable"`
		Selector       LabelSelector `yaml:"selector"`
	} `yaml:"spec"`
}

// NetworkPolicy is a networking.k8s.io/v1 NetworkPolicy.
type NetworkPolicy struct {
	Header `yaml:",inline"`
	Spec   struct {
		PodSelector LabelSelector `yaml:"podSelector"`
		PolicyTypes []string      `yaml:"policyTypes"`
		Ingress     []struct {
			From []struct {
				PodSelector       *LabelSelector `yaml:"podSelector"`
				NamespaceSelector *LabelSelector `yaml:"namespaceSelector"`
				IPBlock           *struct {
					CIDR string `yaml:"cidr"`
				} `yaml:"ipBlock"`
			} `yaml:"from"`
			Ports []struct {
				Protocol string `yaml:"protocol"`
				Port     int    `yaml:"port"`
			} `yaml:"ports"`
		} `yaml:"ingress"`
	} `yaml:"spec"`
}

// Set is every object of the directory, by kind; each kind appears once
// in these manifests.
type Set struct {
	Kustomization       Kustomization
	ConfigMaps          []ConfigMap
	Service             Service
	StatefulSet         StatefulSet
	PodDisruptionBudget PodDisruptionBudget
	NetworkPolicy       NetworkPolicy
	// Headers are every object's, in the kustomization's order.
	Headers []Header
}

// Load reads the kustomization in dir and every resource it lists.
func Load(dir string) (*Set, error) {
	var s Set
	if err := decodeFile(filepath.Join(dir, "kustomization.yaml"), &s.Kustomization); err != nil {
		return nil, err
	}
	for _, res := range s.Kustomization.Resources {
		path := filepath.Join(dir, res)
		var h Header
		if err := decodeLoose(path, &h); err != nil {
			return nil, err
		}
		var err error
		switch h.Kind {
		case "ConfigMap":
			var cm ConfigMap
			err = decodeFile(path, &cm)
			s.ConfigMaps = append(s.ConfigMaps, cm)
		case "Service":
			err = decodeFile(path, &s.Service)
		case "StatefulSet":
			err = decodeFile(path, &s.StatefulSet)
		case "PodDisruptionBudget":
			err = decodeFile(path, &s.PodDisruptionBudget)
		case "NetworkPolicy":
			err = decodeFile(path, &s.NetworkPolicy)
		default:
			err = fmt.Errorf("%s: kind %q: this package does not read it", path, h.Kind)
		}
		if err != nil {
			return nil, err
		}
		s.Headers = append(s.Headers, h)
	}
	return &s, nil
}

// ConfigMap returns the ConfigMap named name.
func (s *Set) ConfigMap(name string) (ConfigMap, bool) {
	for _, cm := range s.ConfigMaps {
		if cm.Metadata.Name == name {
			return cm, true
		}
	}
	return ConfigMap{}, false
}

func decodeFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func decodeLoose(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Pod is what the downward API tells a container about its pod.
type Pod struct {
	Name, Namespace, IP string
}

// Environ works out c's environment as the kubelet does: values from the
// downward API (metadata.name, metadata.namespace, status.podIP) and from
// the Set's ConfigMaps, and $(VAR) references to variables defined
// earlier in the list expanded ($$ writes a $; a reference to anything
// else stays as written). A Secret reference is an error: the manifests
// mount Secrets as files.
func (s *Set) Environ(c Container, pod Pod) ([]string, error) {
	vals := make(map[string]string)
	var out []string
	for _, e := range c.Env {
		v := expand(e.Value, vals)
		if f := e.ValueFrom; f != nil {
			switch {
			case f.FieldRef != nil:
				switch f.FieldRef.FieldPath {
				case "metadata.name":
					v = pod.Name
				case "metadata.namespace":
					v = pod.Namespace
				case "status.podIP":
					v = pod.IP
				default:
					return nil, fmt.Errorf("env %s: field %q is not supported here", e.Name, f.FieldRef.FieldPath)
				}
			case f.ConfigMapKeyRef != nil:
				cm, ok := s.ConfigMap(f.ConfigMapKeyRef.Name)
				if !ok {
					return nil, fmt.Errorf("env %s: no ConfigMap %q among the resources", e.Name, f.ConfigMapKeyRef.Name)
				}
				if v, ok = cm.Data[f.ConfigMapKeyRef.Key]; !ok {
					return nil, fmt.Errorf("env %s: ConfigMap %q has no key %q", e.Name, cm.Metadata.Name, f.ConfigMapKeyRef.Key)
				}
			default:
				return nil, fmt.Errorf("env %s: only fieldRef and configMapKeyRef are supported here", e.Name)
			}
		}
		vals[e.Name] = v
		out = append(out, e.Name+"="+v)
	}
	return out, nil
}

// expand replaces $(NAME) with vals[NAME] as the kubelet does.
func expand(s string, vals map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '(':
			if end := strings.IndexByte(s[i+2:], ')'); end >= 0 {
				name := s[i+2 : i+2+end]
				if v, ok := vals[name]; ok {
					b.WriteString(v)
					i += 2 + end
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// SecretFile is a file a Secret volume puts in a container.
type SecretFile struct {
	Secret, Key string
	// Path is where the container sees it.
	Path string
	Mode int
}

// SecretFiles lists the files c sees from Secret volumes.
func (s *Set) SecretFiles(c Container) ([]SecretFile, error) {
	vols := make(map[string]Volume)
	for _, v := range s.StatefulSet.Spec.Template.Spec.Volumes {
		vols[v.Name] = v
	}
	var out []SecretFile
	for _, m := range c.VolumeMounts {
		v, ok := vols[m.Name]
		if !ok {
			return nil, fmt.Errorf("volume mount %q: no such volume", m.Name)
		}
		if v.Secret == nil {
			continue
		}
		mode := 0o644 // the API's default
		if v.Secret.DefaultMode != nil {
			mode = *v.Secret.DefaultMode
		}
		if len(v.Secret.Items) == 0 {
			return nil, errors.New("secret volume " + v.Name + ": list its items, so that the file names are known")
		}
		for _, it := range v.Secret.Items {
			out = append(out, SecretFile{Secret: v.Secret.SecretName, Key: it.Key, Path: filepath.Join(m.MountPath, it.Path), Mode: mode})
		}
	}
	return out, nil
}
