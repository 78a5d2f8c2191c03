"""One module per ``midstance`` subcommand: each has ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int`` (the exit code). Heavy imports stay inside ``run`` so ``--help`` is fast."""
