"""The privacy guard: Great Expectations suites that every mart must pass before publication."""
