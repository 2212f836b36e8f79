"""M'green statistics warehouse: the Dagster code location and the `mgreen` command."""
