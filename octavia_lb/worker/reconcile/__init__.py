"""One Service's reconcile: read fresh, build, observe, run the planned steps, write status back."""
