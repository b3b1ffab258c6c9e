package deploy

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/basaltdb/basalt/coord"
)

// parseArgs parses basalt-server arguments as the server does. The --dir value is
// swapped for a temporary directory (the server changes into it, as redis-server does)
// and returned; the working directory is restored afterwards.
func parseArgs(t *testing.T, args []string) (cfg *coord.Config, dir string) {
	t.Helper()
	args = append([]string(nil), args...)
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--dir" {
			dir, args[i+1] = args[i+1], t.TempDir()
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.Chdir(wd) }()
	cfg, err = coord.ConfigFromArgs(args)
	if err != nil {
		t.Fatalf("basalt-server refuses the arguments %q: %v", args, err)
	}
	return cfg, dir
}

// documents splits a multi-document YAML file.
func documents(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for _, d := range bytes.Split(data, []byte("\n---\n")) {
		if len(bytes.TrimSpace(d)) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

// manifest is what a manifest file declares, decoded strictly into the API types.
type manifest struct {
	sts      *appsv1.StatefulSet
	job      *batchv1.Job
	services map[string]*corev1.Service
}

func decodeManifest(t *testing.T, path string) manifest {
	t.Helper()
	m := manifest{services: map[string]*corev1.Service{}}
	for _, doc := range documents(t, path) {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		var into any
		switch meta.Kind {
		case "StatefulSet":
			m.sts = &appsv1.StatefulSet{}
			into = m.sts
		case "Job":
			m.job = &batchv1.Job{}
			into = m.job
		case "Service":
			into = &corev1.Service{}
		default:
			t.Fatalf("%s: unexpected kind %q", path, meta.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, into); err != nil {
			t.Fatalf("%s: %s: %v", path, meta.Kind, err)
		}
		if svc, ok := into.(*corev1.Service); ok {
			m.services[svc.Name] = svc
		}
	}
	return m
}

func TestKubernetesManifests(t *testing.T) {
	m := decodeManifest(t, "kubernetes/basalt.yaml")
	sts, services := m.sts, m.services
	if sts == nil || m.job != nil {
		t.Fatal("the manifest needs a StatefulSet and no Job")
	}
	headless := services[sts.Spec.ServiceName]
	if headless == nil || headless.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Fatalf("the StatefulSet's service %q is missing or not headless", sts.Spec.ServiceName)
	}
	for name, svc := range services {
		for k, v := range svc.Spec.Selector {
			if sts.Spec.Template.Labels[k] != v {
				t.Errorf("service %s selects %s=%s, which the pods do not carry", name, k, v)
			}
		}
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 {
		t.Fatal("the StatefulSet needs one volume claim for its data")
	}
	c := sts.Spec.Template.Spec.Containers[0]
	cfg, dir := parseArgs(t, c.Args)
	mounted := false
	for _, m := range c.VolumeMounts {
		if m.Name == sts.Spec.VolumeClaimTemplates[0].Name && m.MountPath == dir {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("dir %s is not the mounted volume", dir)
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["redis"] != int32(cfg.Port) || ports["metrics"] != int32(cfg.MetricsPort) {
		t.Errorf("container ports %v do not match port %d and metrics-port %d", ports, cfg.Port, cfg.MetricsPort)
	}
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" || p.HTTPGet.Port.String() != "metrics" {
		t.Errorf("the readiness probe must ask /readyz on the metrics port: %+v", p)
	}
	if p := c.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/livez" {
		t.Errorf("the liveness probe must ask /livez: %+v", p)
	}
	if g := sts.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g < 60 {
		t.Error("the grace period must leave time for the save on SIGTERM")
	}
	if !cfg.AppendOnly {
		t.Error("the manifest should run with the AOF on")
	}
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "CMD "); ok {
			rest = strings.Trim(rest, "[]")
			for _, a := range strings.Split(rest, ",") {
				args = append(args, strings.Trim(strings.TrimSpace(a), `"`))
			}
		}
	}
	if len(args) == 0 {
		t.Fatal("no CMD in the Dockerfile")
	}
	if _, dir := parseArgs(t, args); dir != "/data" {
		t.Errorf("the image runs with dir %q, not its volume /data", dir)
	}
	if !strings.Contains(string(data), "./cmd/basalt-server") {
		t.Error("the image does not build cmd/basalt-server")
	}
}

// The cluster-mode manifest: a StatefulSet of cluster nodes that announce their pod
// IPs and keep nodes.conf on their volume, and a Job that forms the cluster from every
// pod of the StatefulSet.
func TestKubernetesClusterManifest(t *testing.T) {
	m := decodeManifest(t, "kubernetes/basalt-cluster.yaml")
	sts, job, services := m.sts, m.job, m.services
	if sts == nil || job == nil {
		t.Fatal("the manifest needs a StatefulSet and a Job")
	}
	headless := services[sts.Spec.ServiceName]
	if headless == nil || headless.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Fatalf("the StatefulSet's service %q is missing or not headless", sts.Spec.ServiceName)
	}
	c := sts.Spec.Template.Spec.Containers[0]
	cfg, dir := parseArgs(t, c.Args)
	if !cfg.ClusterEnabled {
		t.Fatal("the pods do not run in cluster mode")
	}
	if strings.ContainsRune(cfg.ClusterConfigFile, '/') {
		t.Errorf("nodes.conf (%s) must live in dir, on the volume", cfg.ClusterConfigFile)
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		if m.Name == sts.Spec.VolumeClaimTemplates[0].Name && m.MountPath == dir {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("dir %s is not the mounted volume", dir)
	}
	// The announced address is the pod's IP, which Kubernetes substitutes into $(POD_IP).
	podIP := false
	for _, e := range c.Env {
		if e.Name == "POD_IP" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "status.podIP" {
			podIP = true
		}
	}
	if cfg.ClusterAnnounceIP != "$(POD_IP)" || !podIP {
		t.Errorf("the pods must announce their IP: cluster-announce-ip %q, POD_IP from status.podIP %v", cfg.ClusterAnnounceIP, podIP)
	}
	bus := cfg.ClusterPort
	if bus == 0 {
		bus = cfg.Port + 10000
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["redis"] != int32(cfg.Port) || ports["bus"] != int32(bus) || ports["metrics"] != int32(cfg.MetricsPort) {
		t.Errorf("container ports %v do not match port %d, bus %d, metrics-port %d", ports, cfg.Port, bus, cfg.MetricsPort)
	}
	// The Job meets every pod through the headless service, one replica per master.
	script := strings.Join(job.Spec.Template.Spec.Containers[0].Command, " ")
	replicas := int(*sts.Spec.Replicas)
	// The pods' names are built in a loop over their ordinals.
	if !strings.Contains(script, "host="+sts.Name+"-$i."+headless.Name) {
		t.Fatalf("the Job does not name the pods %s-$i.%s: %s", sts.Name, headless.Name, script)
	}
	loop := fmt.Sprint(seq(replicas))
	if !strings.Contains(script, "for i in "+strings.Trim(loop, "[]")+";") {
		t.Errorf("the Job's loop does not cover the %d pods: %s", replicas, script)
	}
	if !strings.Contains(script, "--cluster-replicas 1") || replicas%2 != 0 || replicas < 6 {
		t.Errorf("with --cluster-replicas 1 the StatefulSet needs an even number of pods, at least 6 (%d)", replicas)
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
