"""The dispatcher: Service and Node changes into reconcile messages while holding the Lease; the resync."""
