"""octavia-lb: OpenStack Octavia load balancers for Kubernetes Services of type LoadBalancer."""

__version__ = "0.1.0"
