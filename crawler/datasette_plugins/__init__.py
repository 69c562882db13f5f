"""Datasette plugins of the crawler side (they read WARC files): registered through the
``datasette`` entry point in pyproject.toml, so every Datasette of this environment has them."""
