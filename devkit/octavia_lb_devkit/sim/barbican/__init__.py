"""Barbican (key manager v1) as the simulator serves it."""
