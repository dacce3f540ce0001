#!/usr/bin/env bash
# Installs the test packages, then runs format check, lint and the whole test suite.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
install_requirements requirements-dev.txt
source scripts/system_packages.sh
.venv/bin/ruff format --check .
.venv/bin/ruff check .
exec .venv/bin/pytest "$@"
