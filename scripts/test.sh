#!/usr/bin/env bash
# Installs the test packages, then runs format check, lint, type check and the whole test suite.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
install_requirements requirements-dev.txt
source scripts/system_packages.sh
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/mypy
exec .venv/bin/pytest "$@"
