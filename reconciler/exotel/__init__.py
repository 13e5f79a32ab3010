"""Talking to Exotel: the API client (the only importer of requests), the retry policy,
client-side pacing, and the factory that builds a client only when a command needs one."""
