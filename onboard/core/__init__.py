"""The domain layer: XMPP, network, providers, storage. Never imports Textual."""
