"""ingestion definitions."""
