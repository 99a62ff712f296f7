"""OMEMO devices and fingerprints: read them from PEP, show them, link them, remember them.

- `fingerprint`: the `Device` record and the fingerprint every client shows (the Curve25519
  identity key as 64 lowercase hex), from either namespace's published key.
- `link`: the `xmpp:<jid>?omemo-sid-<id>=<hex>;…` links (Conversations, Gajim) behind QR codes.
- `pep`: log in with an account and read a JID's device lists and bundles in both namespaces.
- `verified`: the local record of fingerprints the user confirmed.
- `hello`: the optional test message: an OMEMO device of the assistant's own (slixmpp-omemo)
  sends a friend an encrypted hello, then is removed from the account again.
- `keyfile`: that device's private keys, in a private JSON file per account.

Only `pep`, `hello` and `keyfile` import slixmpp or the OMEMO libraries; the others are cheap to
import.
"""
