"""The planners: pure functions from desired and observed state to the next step. No I/O."""
