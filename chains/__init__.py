"""I/O only: nodes and explorers in, typed records out. No tax logic here."""
