#!/usr/bin/env bash
# Installs the app's packages and starts it; with no database configured it runs on the
# embedded SQLite demo city, created on the first start.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
install_requirements requirements.txt
exec .venv/bin/streamlit run app.py "$@"
