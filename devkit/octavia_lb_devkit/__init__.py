"""The octavia-lb dev kit: the OpenStack simulator, the control-plane harness, the local stack, test support.

Not part of the product: the production image and wheel install `octavia_lb` only."""
