"""The command line: parsing, dispatch, one small ``run_*`` per command, and all printing
and prompting. The only sub-package (with ``render``) that writes to the terminal."""
