"""The FastAPI admission webhook: AdmissionReview in, verdict and JSONPatch out, over HTTPS."""
