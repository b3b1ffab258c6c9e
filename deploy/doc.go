// Package deploy holds the deployment files of Basalt (container image, Kubernetes
// manifests, Prometheus scrape configuration, Grafana dashboard) and the tests that
// keep them valid: the manifests decode into Kubernetes API types, their probes and
// ports point at what basalt-server serves, and their arguments are directives the
// server accepts. It has no code of its own.
package deploy
