#!/usr/bin/env bash
# Installs the test packages, then runs format check, lint, type check and the whole test suite.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
install_requirements requirements-dev.txt
source scripts/system_packages.sh
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/mypy
# Two or more workers (pytest-xdist); tests that share a server's demo city stay on one worker.
exec .venv/bin/pytest -n auto --maxprocesses 4 --dist loadgroup "$@"
