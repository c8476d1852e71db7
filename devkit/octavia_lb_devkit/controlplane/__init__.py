"""A real etcd + kube-apiserver on loopback: build, start, stop, and webhook registration."""
