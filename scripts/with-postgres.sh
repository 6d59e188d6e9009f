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
run=()
bindir=""

cleanup() {
  if [ -n "$cluster_dir" ]; then
    if [ -f "$cluster_dir/data/postmaster.pid" ]; then
      "${run[@]}" "$bindir/pg_ctl" -D "$cluster_dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$cluster_dir"
  fi
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
    if [ "$(id -u)" = 0 ]; then
      chown postgres: "$cluster_dir"
      # Every directory above the cluster must be searchable by postgres.
      chmod o+x "$here" "$here/target" 2>/dev/null || true
      run=(runuser -u postgres --)
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "${run[@]}" "$bindir/initdb" -D "$cluster_dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >"$cluster_dir/initdb.log" 2>&1 \
      || { cat "$cluster_dir/initdb.log" >&2; exit 2; }
    "${run[@]}" "$bindir/pg_ctl" -D "$cluster_dir/data" -l "$cluster_dir/server.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$cluster_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null || { cat "$cluster_dir/server.log" >&2; exit 2; }
    export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
    echo "with-postgres: started a private cluster on 127.0.0.1:$port" >&2
  fi
fi
export SCHEMAREG_SCRATCH_URL="${SCHEMAREG_SCRATCH_URL:-$DATABASE_URL}"
"$@"
