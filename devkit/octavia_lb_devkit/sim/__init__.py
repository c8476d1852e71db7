"""Simulators for what cannot run here: Keystone, Neutron and Octavia over HTTP."""
