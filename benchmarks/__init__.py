"""Benchmark scripts: they print Markdown tables (docs/performance.md); nothing is timed in tests."""
