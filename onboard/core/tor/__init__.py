"""Tor mode: finding or starting a tor, and the network route through its SOCKS port.

Nothing here is imported at start-up; the submodules are imported once Tor mode is chosen.
"""
