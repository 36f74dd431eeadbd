"""Price sources and lookups."""
