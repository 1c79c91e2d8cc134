"""The command line, on top of everything: ``explain tour``, ``figures``, ``diagnose`` and ``faults``."""
