#!/usr/bin/env bash
# Runs a command with DATABASE_URL pointing at a PostgreSQL server where it may create and
# drop databases:
#   1. $DATABASE_URL when it is set;
#   2. else a private cluster started here from the installed PostgreSQL binaries (as the
#      `postgres` OS user when run as root, since initdb refuses root), trust auth, a free
#      port, under target/, tuned for tests (nothing synced to disk: the tests create and drop
#      thousands of databases, and a crash loses nothing they need); it is stopped and removed
#      when the command ends;
#   3. else (no server binaries here) a server on 127.0.0.1:5432 that lets `postgres` in
#      without a password.
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

have_server_binaries() {
  [ -n "${SCHEMAREG_PG_BINDIR:-}" ] && return 0
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && return 0; done
  command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]
}

start_private_cluster() {
  bindir=$(find_bindir)
  # In memory when there is room (/dev/shm with 2 GB free): creating and dropping a database
  # makes and removes hundreds of files, and a disk's file system spends most of the tests' CPU
  # finding inodes for them (ext4's allocator avoids recently deleted ones); else under target/.
  local parent="$here/target"
  if [ -d /dev/shm ] && [ -w /dev/shm ] \
     && [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2 {print $4}')" -gt 2097152 ] 2>/dev/null; then
    parent=/dev/shm
  fi
  mkdir -p "$parent"
  # A cluster left by a run that was killed (its server gone for ten minutes) holds memory:
  # removed.
  local old
  for old in $(find "$parent" -maxdepth 1 -name 'schemareg-pgtest.*' -mmin +10 2>/dev/null); do
    local pid
    pid=$(head -1 "$old/data/postmaster.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then continue; fi
    rm -rf "$old"
  done
  cluster_dir=$(mktemp -d "$parent/schemareg-pgtest.XXXXXX")
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$cluster_dir"
    # Every directory above the cluster must be searchable by postgres.
    [ "$parent" = /dev/shm ] || chmod o+x "$here" "$here/target" 2>/dev/null || true
    run=(runuser -u postgres --)
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${run[@]}" "$bindir/initdb" -D "$cluster_dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >"$cluster_dir/initdb.log" 2>&1 \
    || { cat "$cluster_dir/initdb.log" >&2; exit 2; }
  # Nothing waits for the disk: no fsync, no full pages, no WAL beyond what recovery needs,
  # and checkpoints (which every DROP DATABASE asks for) only write what is dirty.
  "${run[@]}" "$bindir/pg_ctl" -D "$cluster_dir/data" -l "$cluster_dir/server.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$cluster_dir -c max_connections=400 \
        -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c wal_level=minimal -c max_wal_senders=0 \
        -c max_wal_size=4GB -c checkpoint_timeout=1h -c shared_buffers=256MB" \
    start >/dev/null || { cat "$cluster_dir/server.log" >&2; exit 2; }
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "with-postgres: started a private cluster on 127.0.0.1:$port" >&2
}

if [ -z "${DATABASE_URL:-}" ]; then
  if have_server_binaries; then
    start_private_cluster
  elif command -v psql >/dev/null \
     && PGCONNECT_TIMEOUT=3 psql -X -w -q -h 127.0.0.1 -p 5432 -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
    echo "with-postgres: using the server on 127.0.0.1:5432" >&2
  else
    echo "with-postgres: no PostgreSQL server binaries here and no server on 127.0.0.1:5432 (install postgresql, or set DATABASE_URL)" >&2
    exit 2
  fi
fi
export SCHEMAREG_SCRATCH_URL="${SCHEMAREG_SCRATCH_URL:-$DATABASE_URL}"
"$@"
