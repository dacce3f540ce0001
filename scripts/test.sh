#!/usr/bin/env bash
# Installs the test packages, then runs format check, lint, type check and the whole test suite;
# exits non-zero when any of them fails.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
install_requirements requirements-dev.txt
source scripts/system_packages.sh
.venv/bin/ruff format --check .
.venv/bin/ruff check .
# The type check runs beside the tests, at a lower priority: it takes the CPU the tests leave
# (a cold type check is 30 s of one core); its report is printed after theirs.
mypy_report=$(mktemp)
nice -n 15 .venv/bin/mypy >"$mypy_report" 2>&1 &
mypy_pid=$!
# Two or more workers (pytest-xdist); tests that share a server's demo city stay on one worker.
status=0
.venv/bin/pytest -n auto --maxprocesses 4 --dist loadgroup "$@" || status=$?
mypy_status=0
wait "$mypy_pid" || mypy_status=$?
echo "mypy:"
cat "$mypy_report"
rm -f "$mypy_report"
if [ "$status" -eq 0 ]; then status=$mypy_status; fi
exit "$status"
