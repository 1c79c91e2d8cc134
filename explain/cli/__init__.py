"""The command line on top of everything: ``explain tour``, ``explain figures``, ``explain diagnose``, ``explain faults``."""
