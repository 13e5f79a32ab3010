"""The planning stage: (Manifest, State) -> Plan, drift, safety refusals, saved plan files.
Pure: nothing here prints, touches the network or writes the state."""
