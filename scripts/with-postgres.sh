#!/usr/bin/env bash
# Runs a command with DATABASE_URL pointing at a PostgreSQL server where it may create and
# drop databases:
#   1. $DATABASE_URL when it is set;
#   2. else a server on 127.0.0.1:5432 that lets `postgres` in without a password;
#   3. else a private cluster started here from the installed PostgreSQL binaries (as the
#      `postgres` OS user when run as root, since initdb refuses root), trust auth, a free
#      port, under target/; it is stopped and removed when the command ends.
# SCHEMAREG_SCRATCH_URL defaults to the same server.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cluster_dir=""
pg_pid=""

cleanup() {
  if [ -n "$pg_pid" ]; then
    kill -INT "$pg_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pg_pid" 2>/dev/null || true
  fi
  if [ -n "$cluster_dir" ]; then rm -rf "$cluster_dir"; fi
}
trap cleanup EXIT INT TERM

find_bindir() {
  if [ -n "${SCHEMAREG_PG_BINDIR:-}" ]; then echo "$SCHEMAREG_PG_BINDIR"; return; fi
  local best=""
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && best="$d"
  done
  if [ -z "$best" ] && command -v pg_config >/dev/null; then best=$(pg_config --bindir); fi
  [ -n "$best" ] || { echo "with-postgres: no PostgreSQL server binaries found (install postgresql)" >&2; exit 2; }
  echo "$best"
}

if [ -z "${DATABASE_URL:-}" ]; then
  if command -v psql >/dev/null \
     && PGCONNECT_TIMEOUT=3 psql -X -w -q -h 127.0.0.1 -p 5432 -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
    echo "with-postgres: using the server on 127.0.0.1:5432" >&2
  else
    bindir=$(find_bindir)
    mkdir -p "$here/target"
    cluster_dir=$(mktemp -d "$here/target/pgtest.XXXXXX")
    run=()
    if [ "$(id -u)" = 0 ]; then
      chown postgres: "$cluster_dir"
      # Every directory above the cluster must be searchable by postgres.
      chmod o+x "$here" "$here/target" 2>/dev/null || true
      run=(runuser -u postgres --)
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "${run[@]}" "$bindir/initdb" -D "$cluster_dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >"$cluster_dir/initdb.log" 2>&1 \
      || { cat "$cluster_dir/initdb.log" >&2; exit 2; }
    "${run[@]}" "$bindir/postgres" -D "$cluster_dir/data" -p "$port" -c listen_addresses=127.0.0.1 \
      -c unix_socket_directories="$cluster_dir" -c fsync=off -c synchronous_commit=off \
      -c full_page_writes=off -c max_connections=300 >"$cluster_dir/server.log" 2>&1 &
    pg_pid=$!
    for _ in $(seq 1 300); do
      if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then break; fi
      kill -0 "$pg_pid" 2>/dev/null || { cat "$cluster_dir/server.log" >&2; exit 2; }
      sleep 0.1
    done
    export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
    echo "with-postgres: started a private cluster on 127.0.0.1:$port" >&2
  fi
fi
export SCHEMAREG_SCRATCH_URL="${SCHEMAREG_SCRATCH_URL:-$DATABASE_URL}"
"$@"
