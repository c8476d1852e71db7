"""Keystone v3 as the simulator serves it."""
