"""Neutron v2.0 as the simulator serves it: state, IPAM, L3, quotas, routes and request schemas."""
