"""The one failure `octavia-lb plan` reports as exit 2, shared by the offline and the live planner."""


class Unreadable(Exception):
    """The input, cloud.conf, the cluster or the cloud cannot be read: exit 2."""
