"""A local stand-in of Exotel's ExoPhone API, for trying exoplan without an account and for
the end-to-end tests: the HTTP server, the account's numbers, injected faults."""
