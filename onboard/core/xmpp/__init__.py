"""XMPP on slixmpp: connections through the network object, registration, login."""
