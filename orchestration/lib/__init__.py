"""Pure helpers of the warehouse: no Dagster decorators here, each unit-tested on its own."""
