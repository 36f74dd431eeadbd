"""Hostile input, fuzzed with hypothesis: every input kind gives a result or a one-line
TaxscanError, never a traceback, and a failed import or scan writes nothing."""
