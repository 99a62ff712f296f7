"""Real servers for the tests (Prosody) and a raw XMPP client to look at them."""
