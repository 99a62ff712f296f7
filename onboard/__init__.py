"""onboard: set up a private, federated XMPP account step by step."""

__version__ = "0.1.0"
