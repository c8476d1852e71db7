"""OpenStack as the worker sees it: the openstacksdk gateway, errors, observed snapshots, features."""
