"""nightly definitions."""
