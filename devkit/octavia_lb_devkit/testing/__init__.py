"""Test and benchmark support: sample Services and reviews, a throw-away CA, a stand-in list+watch server,
the webhook's command line."""
