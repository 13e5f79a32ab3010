"""Storage only: where a state lives (the file, PostgreSQL), its lock, its serialisation
and the apply journal's records; applying and the one write path are ``reconciler.apply``'s."""
