"""OMEMO devices and fingerprints: read them from PEP, show them, link them, remember them.

- `fingerprint`: the `Device` record and the fingerprint every client shows (the Curve25519
  identity key as 64 lowercase hex), from either namespace's published key.
- `link`: the `xmpp:<jid>?omemo-sid-<id>=<hex>;…` links (Conversations, Gajim) behind QR codes.
- `pep`: log in with an account and read a JID's device lists and bundles in both namespaces.
- `verified`: the local record of fingerprints the user confirmed.

Only `pep` imports slixmpp; the others are cheap to import.
"""
