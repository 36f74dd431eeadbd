"""A local anvil chain with the official protocol artifacts, for tests and the demo."""
