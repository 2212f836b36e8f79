"""guard definitions."""
