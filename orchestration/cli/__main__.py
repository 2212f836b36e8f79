"""``python -m orchestration.cli``, the same as the ``mgreen`` command."""

from orchestration.cli import main

main()
