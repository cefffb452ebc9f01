#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL cluster for the tests: `start DIR` runs initdb in DIR
# (as the postgres user when we are root, since initdb refuses root), starts it on a free
# loopback port with trust auth for the local role `contextforge`, and prints
# `PG_PID=<pid>` and `CF_TEST_DATABASE_URL=<url>` lines for eval. `stop DIR PID` stops that
# server by pid (fast shutdown, then SIGKILL) and removes DIR. It never touches another cluster.
set -euo pipefail

PGBIN="${CF_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"

as_pg() {
  if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

case "${1:-}" in
  start)
    dir="$2"
    [[ -x "$PGBIN/initdb" ]] || { echo "postgres-cluster: no initdb under ${PGBIN:-/usr/lib/postgresql/*/bin}" >&2; exit 1; }
    mkdir -p "$dir"
    if [[ "$(id -u)" -eq 0 ]]; then chown postgres "$dir"; fi
    as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U contextforge -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
      echo "postgres-cluster: initdb failed:" >&2; tail -n 20 "$dir/initdb.log" >&2; exit 1; }
    port="$(free_port)"
    # fsync off: a test cluster that dies with the machine is recreated anyway.
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c max_connections=200" start >/dev/null || {
      echo "postgres-cluster: the server did not start:" >&2; tail -n 20 "$dir/server.log" >&2; exit 1; }
    echo "PG_PID=$(head -n 1 "$dir/data/postmaster.pid")"
    echo "CF_TEST_DATABASE_URL=postgres://contextforge@127.0.0.1:$port/postgres"
    ;;
  stop)
    dir="$2"
    pid="$3"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -INT "$pid" 2>/dev/null || true
      for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    [[ -n "$dir" && -d "$dir" ]] && rm -rf "$dir"
    ;;
  *)
    echo "usage: postgres-cluster.sh start DIR | stop DIR PID" >&2
    exit 2
    ;;
esac
