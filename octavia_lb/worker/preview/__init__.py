"""`octavia-lb plan`: the worker's own planner run without writing, offline or against the live cloud."""
