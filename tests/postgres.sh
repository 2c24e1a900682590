#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A throwaway PostgreSQL server for the FrancisBeacon test suites.
#
# Contract
#   source tests/postgres.sh start   # in the test runner's shell (must be *sourced*: it exports variables)
#   ...  dotnet test ...             # tests read FRANCISBEACON_TEST_POSTGRES
#   tests/postgres.sh stop           # run or source; stops the server started above and deletes its files
#
#   A typical runner:  source tests/postgres.sh start && trap 'tests/postgres.sh stop' EXIT
#
# start
#   - If FRANCISBEACON_TEST_POSTGRES is already set (a developer's own server, a CI service), does nothing.
#   - Otherwise finds the newest server in /usr/lib/postgresql/*/bin (or pg_ctl on PATH). When there is none, and
#     we are root with apt-get, and CI=true or FRANCISBEACON_INSTALL_POSTGRES=1, it runs
#     `apt-get update && apt-get install -y postgresql`; without that opt-in it only says why the PostgreSQL tests
#     will skip (locally) or fail (CI=true).
#   - initdb's a fresh cluster in a new temporary directory (as user postgres when we are root, since PostgreSQL
#     refuses to run as root), trust auth, superuser "postgres", UTF-8 and, where initdb supports it, an ICU
#     en-US default collation so that code relying on the default being byte order is caught.
#   - starts it on a free port on 127.0.0.1 only (unix socket in the temp directory, fsync off) and waits for it.
#   - exports FRANCISBEACON_TEST_POSTGRES (an Npgsql connection string) and FRANCISBEACON_TEST_POSTGRES_HOME (the
#     temp directory, which `stop` needs; it is inherited by child processes, so `stop` may run as a script).
#   - always returns 0 when sourced, so a runner with `set -e` goes on; the tests decide what a missing server means.
# stop
#   - Does nothing unless FRANCISBEACON_TEST_POSTGRES_HOME names a directory that `start` made; never touches any
#     other cluster (such as the distribution's /var/lib/postgresql one).
#   - Sourced, it also unsets both variables; run as a script it cannot change the caller's environment.
#
# Variables read: FRANCISBEACON_TEST_POSTGRES, FRANCISBEACON_TEST_POSTGRES_HOME, FRANCISBEACON_INSTALL_POSTGRES, CI,
# TMPDIR.

_fbpg_log() {
  printf 'postgres.sh: %s\n' "$*" >&2
}

_fbpg_is_root() {
  [ "$(id -u)" = "0" ]
}

# Runs a command as the user that owns the cluster: postgres when we are root, ourselves otherwise.
_fbpg_as_owner() {
  if _fbpg_is_root; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- "$@"
    else
      local quoted
      quoted=$(printf '%q ' "$@")
      su postgres -s /bin/sh -c "$quoted"
    fi
  else
    "$@"
  fi
}

_fbpg_find_bin() {
  local dir best='' best_version=-1 version
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ] || continue
    version=${dir#/usr/lib/postgresql/}
    version=${version%%/*}
    case "$version" in
      '' | *[!0-9]*) continue ;;
    esac
    if [ "$version" -gt "$best_version" ]; then
      best_version=$version
      best=$dir
    fi
  done
  if [ -z "$best" ] && command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    best=$(dirname "$(command -v pg_ctl)")
  fi
  printf '%s' "$best"
}

_fbpg_port_in_use() {
  # A connection that succeeds means something listens there.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_fbpg_free_port() {
  local attempt port
  for attempt in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! _fbpg_port_in_use "$port"; then
      printf '%s' "$port"
      return 0
    fi
  done
  return 1
}

_fbpg_start() {
  if [ -n "${FRANCISBEACON_TEST_POSTGRES:-}" ]; then
    _fbpg_log "FRANCISBEACON_TEST_POSTGRES is already set; using that server."
    return 0
  fi

  local bin
  bin=$(_fbpg_find_bin)
  if [ -z "$bin" ]; then
    if _fbpg_is_root && command -v apt-get >/dev/null 2>&1 &&
      { [ "${CI:-}" = "true" ] || [ "${FRANCISBEACON_INSTALL_POSTGRES:-}" = "1" ]; }; then
      _fbpg_log "no PostgreSQL server found; installing the distribution's postgresql package."
      if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }; then
        _fbpg_log "apt-get install postgresql failed; the PostgreSQL tests will skip (or fail when CI=true)."
        return 1
      fi
      bin=$(_fbpg_find_bin)
    else
      _fbpg_log "no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin and PATH)."
      _fbpg_log "install PostgreSQL, set FRANCISBEACON_TEST_POSTGRES to a server of your own, or set"
      _fbpg_log "FRANCISBEACON_INSTALL_POSTGRES=1 (as root, with apt) to let this script install it."
      _fbpg_log "the PostgreSQL tests will skip (or fail when CI=true)."
      return 1
    fi
  fi
  if [ -z "$bin" ]; then
    _fbpg_log "PostgreSQL was installed but no server binaries were found; the PostgreSQL tests will skip."
    return 1
  fi

  if _fbpg_is_root && ! id postgres >/dev/null 2>&1; then
    _fbpg_log "running as root but there is no 'postgres' user to run the server as (PostgreSQL refuses root)."
    return 1
  fi

  local home
  home=$(mktemp -d "${TMPDIR:-/tmp}/francisbeacon-pg.XXXXXXXX") || {
    _fbpg_log "could not create a temporary directory."
    return 1
  }
  chmod 0700 "$home"
  if _fbpg_is_root; then
    chown postgres: "$home"
  fi

  local locale_args=(--encoding=UTF8 --locale=C.UTF-8)
  case "$("$bin/initdb" --help 2>/dev/null)" in
    *--locale-provider*)
      # A linguistic default collation: ordering must come from the code's explicit COLLATE "C", not from luck.
      locale_args+=(--locale-provider=icu --icu-locale=en-US)
      ;;
  esac
  if ! _fbpg_as_owner "$bin/initdb" -D "$home/data" -U postgres -A trust "${locale_args[@]}" \
    >"$home/initdb.log" 2>&1; then
    # An ICU or C.UTF-8 locale may be missing on some systems; fall back to the plain C locale.
    _fbpg_as_owner rm -rf "$home/data"
    if ! _fbpg_as_owner "$bin/initdb" -D "$home/data" -U postgres -A trust --encoding=UTF8 --no-locale \
      >"$home/initdb.log" 2>&1; then
      _fbpg_log "initdb failed:"
      cat "$home/initdb.log" >&2
      rm -rf "$home"
      return 1
    fi
  fi

  local port='' attempt started=0
  for attempt in 1 2 3 4 5; do
    port=$(_fbpg_free_port) || break
    if _fbpg_as_owner "$bin/pg_ctl" -D "$home/data" -l "$home/server.log" -w -t 60 \
      -o "-k $home -p $port -h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null 2>&1; then
      started=1
      break
    fi
    _fbpg_log "start on port $port failed (attempt $attempt); retrying on another port."
  done
  if [ "$started" != 1 ]; then
    _fbpg_log "could not start PostgreSQL; its log:"
    tail -n 30 "$home/server.log" >&2 2>/dev/null
    rm -rf "$home"
    return 1
  fi

  local ready=0
  for attempt in $(seq 1 60); do
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres 2>/dev/null; then
      ready=1
      break
    fi
    sleep 0.5
  done
  if [ "$ready" != 1 ]; then
    _fbpg_log "PostgreSQL did not become ready on port $port; its log:"
    tail -n 30 "$home/server.log" >&2 2>/dev/null
    FRANCISBEACON_TEST_POSTGRES_HOME=$home _fbpg_stop
    return 1
  fi

  printf '%s\n' "$bin" >"$home/bin"
  export FRANCISBEACON_TEST_POSTGRES_HOME="$home"
  export FRANCISBEACON_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Include Error Detail=true"
  _fbpg_log "PostgreSQL $("$bin/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port (data in $home)."
  return 0
}

_fbpg_stop() {
  local home=${FRANCISBEACON_TEST_POSTGRES_HOME:-}
  if [ -z "$home" ]; then
    return 0
  fi
  case "$home" in
    "${TMPDIR:-/tmp}"/francisbeacon-pg.* | /tmp/francisbeacon-pg.*) ;;
    *)
      _fbpg_log "refusing to stop: FRANCISBEACON_TEST_POSTGRES_HOME ($home) was not made by this script."
      return 1
      ;;
  esac
  if [ -d "$home/data" ]; then
    local bin
    bin=$(cat "$home/bin" 2>/dev/null)
    [ -n "$bin" ] || bin=$(_fbpg_find_bin)
    if [ -n "$bin" ]; then
      _fbpg_as_owner "$bin/pg_ctl" -D "$home/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
        _fbpg_as_owner "$bin/pg_ctl" -D "$home/data" -m immediate -w stop >/dev/null 2>&1
    fi
  fi
  rm -rf "$home"
  unset FRANCISBEACON_TEST_POSTGRES_HOME FRANCISBEACON_TEST_POSTGRES
  _fbpg_log "stopped the throwaway PostgreSQL and removed $home."
  return 0
}

_fbpg_main() {
  case "${1:-}" in
    start) _fbpg_start ;;
    stop) _fbpg_stop ;;
    *)
      _fbpg_log "usage: source tests/postgres.sh start | tests/postgres.sh stop"
      return 2
      ;;
  esac
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced: never end the caller's shell, whatever happened.
  _fbpg_main "$@" || true
  unset -f _fbpg_log _fbpg_is_root _fbpg_as_owner _fbpg_find_bin _fbpg_port_in_use _fbpg_free_port \
    _fbpg_start _fbpg_stop _fbpg_main
else
  _fbpg_main "$@"
fi
