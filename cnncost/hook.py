"""The pre-commit hook (.pre-commit-hooks.yaml): `cnncost check` on every changed spec.

pre-commit runs ``python -m cnncost.hook ARGS… FILE…``: the hook's `args` from the
user's config, then the changed files. Each file is checked with those args
(``cnncost check FILE ARGS…``); the exit status is the worst one (0 all within
budget, 1 one over it, 2 bad input). Which words are files follows `check`'s own
options: a word after an option that takes a value is that value; `--` ends the
options.
"""

from __future__ import annotations

import sys


def split(argv: list[str]) -> tuple[list[str], list[str]]:
    """(check's options, the files) of a hook's command line."""
    from .cli import check
    takes_value = {opt for p in check.params if not getattr(p, "is_flag", False)
                   and p.param_type_name == "option" for opt in p.opts}
    options: list[str] = []
    files: list[str] = []
    words = iter(argv)
    for word in words:
        if word == "--":
            files.extend(words)
        elif word.startswith("-") and len(word) > 1:
            options.append(word)
            if word in takes_value:  # --max-params 30M (not --max-params=30M)
                options.append(next(words, ""))
        else:
            files.append(word)
    return options, files


def main(argv: list[str] | None = None) -> int:
    from .cli import main as cli
    options, files = split(sys.argv[1:] if argv is None else argv)
    worst = 0
    for path in files:
        print(f"cnncost check {path}", flush=True)
        try:
            cli.main(["check", path, *options], prog_name="cnncost")
        except SystemExit as e:  # the CLI always ends with its exit status
            code = e.code if isinstance(e.code, int) else 2
            worst = max(worst, code)
    return worst


if __name__ == "__main__":
    sys.exit(main())
