"""Talking to HMCs: the client interface, its SSH transport, command builders and the parser."""
