"""Command-line interface: thin typed commands over the Python API."""
