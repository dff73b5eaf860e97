"""Bundled codebooks of cooperation themes (YAML)."""
