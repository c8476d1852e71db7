"""Pure code shared by the webhook and the worker: annotations, cloud.conf, rules, naming."""
