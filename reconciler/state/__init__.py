"""The state: the file store and its lock, the apply journal, folding outcomes into the
state, recovery of interrupted applies, and the one transaction every writer takes."""
