"""Run the CLI in-process the way a user's terminal would, but deterministic."""

from __future__ import annotations

from click.testing import CliRunner

from cnncost.cli import main

# None unsets: the output never depends on the runner's GitHub Actions step summary
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "GITHUB_STEP_SUMMARY": None}


def run(*args: str):
    """(exit code, stdout, stderr)."""
    result = CliRunner(env=ENV).invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr
