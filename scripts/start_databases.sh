# Sourced by .ci/run: starts this machine's PostgreSQL and MariaDB when they are installed but
# stopped, and waits until they answer (the database tests are required in CI).
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
fi
if command -v mariadbd >/dev/null 2>&1 && ! mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
    start-stop-daemon --start --oknodo --background --exec "$(command -v mariadbd)" || true
fi
for _ in $(seq 1 30); do
    pg_ready=1; maria_ready=1
    command -v pg_isready >/dev/null 2>&1 && { pg_isready -q -h 127.0.0.1 -p 5432 || pg_ready=0; }
    command -v mariadb-admin >/dev/null 2>&1 && { mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1 || maria_ready=0; }
    [ "$pg_ready" = 1 ] && [ "$maria_ready" = 1 ] && break
    sleep 1
done
