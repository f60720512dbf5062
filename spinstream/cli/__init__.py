"""Subcommands of the ``spinstream`` command, one module each (see ``spinstream.__main__``)."""
