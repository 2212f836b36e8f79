"""Benchmark scripts: they print Markdown tables (docs/benchmarks.md); nothing is timed in tests."""
