"""The stage that changes the account: the executor, the lookup that settles purchases in
doubt, recovery of interrupted applies, folding outcomes into the state, ``state
migrate``, and the one transaction every writer of the state takes."""
