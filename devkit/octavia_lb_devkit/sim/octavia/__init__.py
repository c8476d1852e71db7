"""Octavia v2 as the simulator serves it: state machine, load balancers and children, admin API, versions."""
