"""publication definitions."""
