#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Ingestion benchmark (not part of the test suite; results and method in docs/performance.md#ingestion).
#
#   bash tests/benchmarks/load.sh [all|http|append|flood|kill|sigterm|kills|stall|outage|queries]   (default: all)
#
# http    wrk over loopback against a bare ASP.NET Core app answering 204 and the sample's beacon (GET hit.gif,
#         POST event), interleaved, with the SQLite store and with the PostgreSQL store; then p50/p99 at about half
#         the beacon's rate, and the bare app's at the same rates (the harness's floor); then counts the stored rows
#         against the answered requests.
# append  batched IHitStore.AppendAsync throughput of each store (dirty-hour marking included), then one rollup pass
#         over the days written (RefreshRollupsAsync), reported as append + rollups.
# flood   memory under a flood with the store stalled (an exclusive lock on the SQLite file), then the backlog.
# kill    SIGKILL during a flood: hits lost without and with durable mode (Spool.Directory).
# sigterm SIGTERM in the middle of a full-rate wrk flood, SQLite and PostgreSQL (STORES): rows stored against the
#         requests wrk saw answered 2xx (not part of "all").
# kills   KILLS (10) SIGKILLs of the sample at random moments of full-rate floods on one SQLite file, PRAGMA
#         integrity_check after each (not part of "all").
# stall   the flood mode's stalled store, checked while the flood lasts, once with QueueFullMode Drop and once with
#         Refuse: /healthz, the dashboard, a page and the API probed every second during wrk; RSS each second; one hit's
#         answer (503 + Retry-After with Refuse); drops from the log (events 210/211) and from the FrancisBeacon meter
#         (dotnet-counters, when installed); time until the backlog is written; rows against answered 2xx
#         (not part of "all").
# outage  the sample on PostgreSQL under a paced load (RATE req/s, 200) for 70 s; the server is stopped after 10 s
#         (pg_ctl stop -m OUTAGE_MODE: fast, or immediate for a crash) and started 30 s later (OUTAGE_SECONDS);
#         /healthz polled every second, the log's lines counted, rows stored against answered 2xx (not part of "all";
#         needs the throwaway server of tests/postgres.sh, which it starts).
# queries the sample on a SQLite file of QUERY_HITS (300000) generated hits; QUERIES (8) copies of one of the slowest
#         query shapes the API's bounds allow (10 OR-ed has_done patterns over all time) sent at once while a pixel
#         request is timed every 50 ms; once with the default QueryConcurrency and once with Limit=0 (no bound): the
#         pixel's p50/p90/p99/max and when the last query was answered (not part of "all"; no wrk). QUERY_KIND=export
#         sends QUERIES exports of every hit (GET /beacon/api/export?period=all) instead of the queries.
#
# Needs wrk (apt-get install -y wrk) and, for PostgreSQL, tests/postgres.sh (or FRANCISBEACON_TEST_POSTGRES).
# Variables: DURATION (s, default 15), WARMUP (s, 5), CONNECTIONS (64), THREADS (2), CONFIGURATION (Release),
# WARMUP_MAX (s, 90: each app is warmed up in WARMUP-second runs until its CPU per request stops falling, at most
# this long),
# SAMPLE_DLL and BENCH_DLL (prebuilt FrancisBeacon.Sample.dll / FrancisBeacon.Benchmarks.dll to compare builds;
# nothing is built when both are set), ROLLUPS=1 (http: configure the hits' site, localhost, so the rollup worker runs
# its pass every 5 s during the runs, and report the passes; by default no site is configured and the worker is idle),
# VISITORS=N (http: spread the requests over N visitors — a random X-Forwarded-For of N addresses per request, both
# apps trusting it — instead of one address and user agent for every hit; see visitors.lua. Use it with ROLLUPS=1:
# about 5 hits per visitor is N = a fifth of the hits a store's runs send, e.g. 300000), STORES (http: the stores to
# run, default "sqlite postgresql"), SAMPLE_ARGS (http: extra command-line arguments for the sample, e.g.
# "--FrancisBeacon:RollupWorkerNice=0" to compare settings of one build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
what=${1:-all}
duration=${DURATION:-15}
warmup=${WARMUP:-5}
warmup_max=${WARMUP_MAX:-90}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
configuration=${CONFIGURATION:-Release}
work=$(mktemp -d "${TMPDIR:-/tmp}/fb-load.XXXXXX")
pids=()
visitors=${VISITORS:-0}
export WRK_VISITORS=$visitors
forwarded=false; [ "$visitors" -gt 0 ] && forwarded=true
# GET runs take visitors.lua as their script (it is a no-op without VISITORS); POST and paced runs load it themselves.
get_script=(-s tests/benchmarks/visitors.lua)

cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  [ -n "${own_pg:-}" ] && bash "$root/tests/postgres.sh" stop
  rm -rf "$work"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk"; exit 1; }
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
if [ -n "${SAMPLE_DLL:-}" ] && [ -n "${BENCH_DLL:-}" ]; then
  sample=$(realpath "$SAMPLE_DLL"); bench=$(realpath "$BENCH_DLL")
  echo "== prebuilt: $sample, $bench"
else
  echo "== build ($configuration)"
  dotnet build samples/FrancisBeacon.Sample -c "$configuration" -nologo -v q >/dev/null
  dotnet build tests/benchmarks/FrancisBeacon.Benchmarks -c "$configuration" -nologo -v q >/dev/null
  sample="$root/samples/FrancisBeacon.Sample/bin/$configuration/net10.0/FrancisBeacon.Sample.dll"
  bench="$root/tests/benchmarks/FrancisBeacon.Benchmarks/bin/$configuration/net10.0/FrancisBeacon.Benchmarks.dll"
fi

if [ "$what" = outage ] && [ -n "${FRANCISBEACON_TEST_POSTGRES:-}" ] && [ -z "${FRANCISBEACON_TEST_POSTGRES_HOME:-}" ]; then
  echo "outage stops and starts the server: it needs tests/postgres.sh's own server (unset FRANCISBEACON_TEST_POSTGRES)"; exit 2
fi
if [ -z "${FRANCISBEACON_TEST_POSTGRES:-}" ] && [[ "$what" =~ ^(all|http|append|sigterm|outage)$ ]] && [[ "${STORES:-postgresql}" == *postgresql* ]]; then
  # shellcheck source=tests/postgres.sh
  source tests/postgres.sh start 2>"$work/pg.log" && own_pg=1
  # Benchmarks want a durable server, as in production: turn postgres.sh's test shortcuts back on. postgres.sh passes
  # them on the server's command line, which outranks ALTER SYSTEM (an ALTER SYSTEM and a reload left fsync and
  # synchronous_commit off, pg_settings.source "command line", in every run before round 11): restart without them.
  if [ -n "${FRANCISBEACON_TEST_POSTGRES_HOME:-}" ]; then
    bin=$(cat "$FRANCISBEACON_TEST_POSTGRES_HOME/bin")
    port=$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' <<<"$FRANCISBEACON_TEST_POSTGRES")
    pg_home=$FRANCISBEACON_TEST_POSTGRES_HOME
    as_owner=(); [ "$(id -u)" = 0 ] && as_owner=(runuser -u postgres --) # as postgres.sh runs it
    pg_options="-k $pg_home -p $port -h 127.0.0.1 -c max_connections=200"
    "${as_owner[@]}" "$bin/pg_ctl" -D "$pg_home/data" -l "$pg_home/server.log" -w -t 60 -o "$pg_options" restart >/dev/null
    echo "PostgreSQL: $("$bin/psql" -Atq -h 127.0.0.1 -p "$port" -U postgres -c "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')")"
  fi
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() { # url
  for _ in $(seq 1 240); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.25
  done
  echo "server at $1 did not come up"; return 1
}

# start_app NAME ARGS... ; sets app_pid and app_url
start_app() {
  local name=$1; shift
  local port; port=$(free_port)
  ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_FORWARDEDHEADERS_ENABLED=$forwarded dotnet "$@" --urls "http://127.0.0.1:$port" --Logging:LogLevel:Default=Warning \
    >"$work/$name.out" 2>&1 &
  app_pid=$!; pids+=("$app_pid")
  app_url="http://127.0.0.1:$port"
  wait_http "$app_url/"
}

stop_app() { # pid
  kill -TERM "$1"; wait "$1" 2>/dev/null || true
}

rss_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
rss_now_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

# The stored rows of a run: count_rows STORE DB SCHEMA (the SQLite file, or the PostgreSQL schema)
count_rows() {
  if [ "$1" = sqlite ]; then dotnet "$bench" count sqlite "$2"; else dotnet "$bench" count postgresql "$FRANCISBEACON_TEST_POSTGRES" "$3"; fi
}

# A log's lines counted by level and event id (the console logger's "info: Category[id]" heads), indented.
log_lines() { grep -oE '^(trce|dbug|info|warn|fail|crit): [A-Za-z0-9_.]+\[[0-9]+\]' "$1" | sort | uniq -c | sed 's/^/  /'; }

# wrk_counts < WRK_OUTPUT: "answered2xx requests non2xx socket-errors" (the last "none" without any). wrk's "requests"
# are the answers it read in full; a request cut off by the server's exit is a socket error (read/connect), never a request.
wrk_counts() {
  local out requests non2xx errors
  out=$(cat)
  requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out"); requests=${requests:-0}
  non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' <<<"$out"); non2xx=${non2xx:-0}
  errors=$(sed -n 's/^ *Socket errors: \(.*\)$/\1/p' <<<"$out")
  echo "$((requests - non2xx)) $requests $non2xx ${errors:-none}"
}

# run_wrk LABEL URL [wrk args...]: prints one result line, appends answered-2xx count to $accepted_file
UA='Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'
browser_headers=(-H "User-Agent: $UA" -H "Accept-Language: en-GB,en;q=0.8" -H "Accept: image/avif,image/webp,image/png,*/*;q=0.8"
  -H "Referer: http://localhost/pricing" -H "Sec-Fetch-Dest: image" -H "Sec-Fetch-Mode: no-cors" -H "Sec-Fetch-Site: same-origin")
pixel_path='/beacon/hit.gif?u=http%3A%2F%2Flocalhost%2Fpricing%3Futm_source%3Dnewsletter&r=https%3A%2F%2Fwww.google.com%2F&w=1920'
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
run_wrk() {
  local label=$1 url=$2; shift 2
  local before=0; [ -n "${server_pid:-}" ] && before=$(cpu_ticks "$server_pid")
  local out; out=$(wrk --latency "$@" "$url")
  local answered requests non2xx rps p50 p99 errors
  read -r answered requests non2xx errors < <(wrk_counts <<<"$out")
  [ "$errors" = none ] && errors=''
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  # The server's CPU time per request (user + system, all its threads: requests, writer, GC, JIT, rollups).
  local cpu=''
  if [ -n "${server_pid:-}" ] && [ "${requests:-0}" -gt 0 ]; then
    cpu=$(bc -l <<<"($(cpu_ticks "$server_pid") - $before) / $(getconf CLK_TCK) * 1000000 / $requests" | xargs printf '%.0f')
  fi
  last_cpu=${cpu:-0}
  printf '%-34s %10s req/s  p50 %-8s p99 %-8s non-2xx %s%s %s\n' "$label" "$rps" "$p50" "$p99" "$non2xx" "${cpu:+  server CPU ${cpu} us/req}" "${errors:+socket errors: $errors}"
  last_rps=$rps
  [ -n "${accepted_file:-}" ] && echo "$answered" >>"$accepted_file"
  return 0
}

# warm_up NAME GET-URL POST-URL (server_pid set): WARMUP-second GET and POST runs until the server's CPU time per GET
# falls by less than 10 % from one round to the next (the rate itself swings with the neighbours' load; the CPU per
# request is what JIT and tiered compilation inflate), at least two rounds, at most WARMUP_MAX seconds.
warm_up() {
  local name=$1 get=$2 post=$3 spent=0 previous=0 trail=''
  while :; do
    run_wrk "warm-up $name GET" "$get" -t "$threads" -c "$connections" -d "$warmup" "${get_script[@]}" "${browser_headers[@]}" >/dev/null
    local cpu=$last_cpu
    run_wrk "warm-up $name POST" "$post" -t "$threads" -c "$connections" -d "$warmup" -s tests/benchmarks/event.lua "${browser_headers[@]}" >/dev/null
    spent=$((spent + 2 * warmup)); trail="$trail ${cpu}"
    if { [ "$previous" -gt 0 ] && [ $((cpu * 10)) -ge $((previous * 9)) ]; } || [ "$spent" -ge "$warmup_max" ]; then break; fi
    previous=$cpu
  done
  echo "warm-up $name: ${spent}s (server CPU per GET by round, us:${trail})"
}

# paced_run LABEL URL TARGET (server_pid set; WRK_BODY for POST): p50/p99 at about TARGET requests/s. Each connection
# pauses D ms before each request, so C connections give about C * 1000 / (D + latency) requests/s: C is first set
# from D alone, then corrected from what a 3-second calibration run reached (up to twice), so that the measured run
# gets close to the target instead of a third below it. wrk uses THREADS threads, as in the full-rate runs (one wrk
# thread running the Lua pause for every request could not reach the target by itself).
paced_run() {
  local label=$1 url=$2 target=$3 delay=4 c reached
  c=$(( (target * delay + 999) / 1000 )); [ "$c" -lt "$threads" ] && c=$threads
  for _ in 1 2; do
    local out answered
    out=$(WRK_DELAY_MS=$delay wrk -t "$threads" -c "$c" -d 3 -s tests/benchmarks/paced.lua "${browser_headers[@]}" "$url")
    # The calibration's hits are stored too: count them as answered, or the rows count would hide as many losses.
    read -r answered _ < <(wrk_counts <<<"$out")
    [ -n "${accepted_file:-}" ] && echo "$answered" >>"$accepted_file"
    reached=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out")
    [ -n "$reached" ] || break
    # Within 5 % of the target: keep C; otherwise scale it by target / reached.
    if [ "$(bc <<<"$reached * 100 >= $target * 95 && $reached * 100 <= $target * 105")" = 1 ]; then break; fi
    c=$(bc <<<"($c * $target + $reached - 1) / $reached"); [ "$c" -lt "$threads" ] && c=$threads
  done
  WRK_DELAY_MS=$delay run_wrk "$label at ~${target}/s target (c=$c)" "$url" -t "$threads" -c "$c" -d "$duration" -s tests/benchmarks/paced.lua "${browser_headers[@]}"
}

http_store() { # store: sqlite|postgresql
  local store=$1 args=("$sample")
  local db="$work/beacon-$store.db" schema="beacon_load_$$"
  args+=(--ConnectionStrings:Beacon="Data Source=$db")
  # shellcheck disable=SC2206 # split on purpose: several arguments
  [ -n "${SAMPLE_ARGS:-}" ] && args+=(${SAMPLE_ARGS})
  if [ "${ROLLUPS:-0}" = 1 ]; then
    args+=(--FrancisBeacon:DefaultSiteId=localhost --Logging:LogLevel:FrancisBeacon.Storage.HitStoreRollupWorker=Debug)
  fi
  if [ "$store" = postgresql ]; then
    [ -n "${FRANCISBEACON_TEST_POSTGRES:-}" ] || { echo "-- no PostgreSQL: skipping"; return 0; }
    args+=(--ConnectionStrings:BeaconPostgreSql="$FRANCISBEACON_TEST_POSTGRES" --FrancisBeacon:PostgreSql:Schema="$schema")
  fi
  echo "== http, $store store ($connections connections, $threads threads, ${duration}s per run after ${warmup}s warm-up, $([ "$visitors" -gt 0 ] && echo "$visitors visitors" || echo "one visitor"))"
  start_app "bare-$store" "$bench" bare; local bare_pid=$app_pid bare_url=$app_url
  start_app "sample-$store" "${args[@]}"; local beacon_pid=$app_pid beacon_url=$app_url
  accepted_file="$work/accepted-$store"; : >"$accepted_file"
  local common=(-t "$threads" -c "$connections")
  # Warm-up (JIT, tiered compilation, connection pools); the beacon's warm-up hits are counted too. Tiered
  # compilation finishes only after enough CPU time in the hot code: the beacon has far more of it than the bare
  # app, and on a busy 2-core machine it took 20-30 s (docs/performance.md, round 4), so each app is warmed up
  # (GET and POST) until its CPU time per request stops falling.
  server_pid=$bare_pid accepted_file='' warm_up "bare" "$bare_url/" "$bare_url/"
  server_pid=$beacon_pid accepted_file="$work/accepted-$store" warm_up "beacon" "$beacon_url$pixel_path" "$beacon_url/beacon/event"
  server_pid=$bare_pid accepted_file='' run_wrk "bare GET / (204)" "$bare_url/" "${common[@]}" -d "$duration" "${get_script[@]}" "${browser_headers[@]}"; local bare_get=$last_rps
  server_pid=$beacon_pid run_wrk "beacon GET hit.gif ($store)" "$beacon_url$pixel_path" "${common[@]}" -d "$duration" "${get_script[@]}" "${browser_headers[@]}"; local beacon_get=$last_rps
  server_pid=$bare_pid accepted_file='' run_wrk "bare POST / (204)" "$bare_url/" "${common[@]}" -d "$duration" -s tests/benchmarks/event.lua "${browser_headers[@]}"; local bare_post=$last_rps
  server_pid=$beacon_pid run_wrk "beacon POST event ($store)" "$beacon_url/beacon/event" "${common[@]}" -d "$duration" -s tests/benchmarks/event.lua "${browser_headers[@]}"; local beacon_post=$last_rps
  printf 'ratio beacon/bare: GET %.2f, POST %.2f\n' "$(bc -l <<<"$beacon_get/$bare_get")" "$(bc -l <<<"$beacon_post/$bare_post")"
  # About half the beacon's rate: C connections each pausing D ms (see paced.lua), C calibrated by a short run.
  server_pid=$beacon_pid paced_run "beacon GET" "$beacon_url$pixel_path" "$(bc <<<"$beacon_get/2")"
  server_pid=$beacon_pid WRK_BODY="$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" tests/benchmarks/event.lua)" paced_run "beacon POST" "$beacon_url/beacon/event" "$(bc <<<"$beacon_post/2")"
  # The harness's own floor: the bare app paced to the same rates (its connections calibrated the same way), so a
  # beacon p99 can be read against what wrk, loopback and the runtime give an app that does nothing.
  server_pid=$bare_pid accepted_file='' paced_run "bare GET" "$bare_url/" "$(bc <<<"$beacon_get/2")"
  server_pid=$bare_pid accepted_file='' WRK_BODY="$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" tests/benchmarks/event.lua)" paced_run "bare POST" "$bare_url/" "$(bc <<<"$beacon_post/2")"
  echo "peak RSS: beacon $(rss_mb "$beacon_pid") MB, bare $(rss_mb "$bare_pid") MB"
  stop_app "$bare_pid"; stop_app "$beacon_pid"
  local accepted rows
  accepted=$(paste -sd+ "$accepted_file" | bc)
  rows=$(count_rows "$store" "$db" "$schema")
  echo "stored rows: $rows; requests answered 2xx by the beacon: $accepted (rows may exceed it by requests wrk cut off at the end of a run)"
  if [ "$rows" -lt "$accepted" ]; then
    echo "LOST: $((accepted - rows)) hits answered 2xx were not stored"
  fi
  # Drops are counted and logged once per episode (queue full, store failing, shutdown): show them.
  grep -E 'write queue|beacon store|could not be written' "$work/sample-$store.out" | sed 's/^/  log: /' | head -8 || true
  if [ "${ROLLUPS:-0}" = 1 ]; then
    grep -o 'rebuilt [0-9]* site-local days in [0-9]* ms' "$work/sample-$store.out" |
      awk '{n++; ms=$(NF-1); s+=ms; if (ms>m) m=ms} END {printf "rollup passes: %d, %.0f ms on average, longest %d ms\n", n, n ? s/n : 0, m}'
  fi
}

append_bench() {
  echo "== append (IHitStore.AppendAsync, batched)"
  for batch in 1000 10000; do
    dotnet "$bench" append sqlite --hits 300000 --batch "$batch"
    if [ -n "${FRANCISBEACON_TEST_POSTGRES:-}" ]; then dotnet "$bench" append postgresql --hits 300000 --batch "$batch"; fi
  done
}

flood_bench() {
  local hold=$((duration + 20))
  echo "== flood with the store stalled (SQLite file locked for ${hold} s), ${duration}s of wrk GET hit.gif"
  local db="$work/flood.db"
  start_app flood "$sample" --ConnectionStrings:Beacon="Data Source=$db"
  local pid=$app_pid url=$app_url
  dotnet "$bench" lock "$db" "$hold" >"$work/lock.out" & local lock_pid=$!
  until grep -q locked "$work/lock.out" 2>/dev/null; do sleep 0.2; done
  accepted_file='' run_wrk "flood GET hit.gif (stalled)" "$url$pixel_path" -t "$threads" -c "$connections" -d "$duration" "${browser_headers[@]}"
  local during; during=$(curl -s -o /dev/null -w '%{http_code} in %{time_total}s' "$url/about")
  echo "a page right after the flood (store still stalled; load.sh stall probes during it): $during; peak RSS $(rss_mb "$pid") MB, now $(rss_now_mb "$pid") MB"
  curl -s "$url/beacon/api/stats?site_id=localhost&period=day" >/dev/null || true
  wait "$lock_pid"
  sleep 8
  stop_app "$pid"
  echo "after the store returned: $(count_rows sqlite "$db") rows written (the queue's bound; the rest were dropped and counted)"
  grep -E 'write queue|store' "$work/flood.out" | sed 's/^/  log: /' | head -6 || true
}

kill_bench() { # durable: "" or a spool dir
  for mode in default durable; do
    local db="$work/kill-$mode.db" extra=()
    [ "$mode" = durable ] && extra=(--FrancisBeacon:Spool:Directory="$work/spool")
    start_app "kill-$mode" "$sample" --ConnectionStrings:Beacon="Data Source=$db" "${extra[@]}"
    local pid=$app_pid url=$app_url
    ( sleep 6; kill -KILL "$pid" ) &
    accepted_file="$work/accepted-kill-$mode"; : >"$accepted_file"
    run_wrk "flood then SIGKILL ($mode)" "$url$pixel_path" -t "$threads" -c "$connections" -d 8 "${browser_headers[@]}" >"$work/kill-$mode.wrk" || true
    wait "$pid" 2>/dev/null || true
    cat "$work/kill-$mode.wrk"
    local accepted rows
    accepted=$(cat "$accepted_file")
    if [ "$mode" = durable ]; then
      # Restart to replay the spool, then stop gracefully.
      start_app "kill-$mode-restart" "$sample" --ConnectionStrings:Beacon="Data Source=$db" "${extra[@]}"; stop_app "$app_pid"
    fi
    rows=$(count_rows sqlite "$db")
    # The process lived about 6 s of the run: its rate is accepted/6.
    if [ "$rows" -ge "$accepted" ]; then
      # More rows than answers: hits the server stored and answered while wrk had already given up on them.
      printf 'answered 2xx %s, stored %s: nothing answered was lost (%s stored hits unanswered when the process died)\n' \
        "$accepted" "$rows" "$((rows - accepted))"
    else
      printf 'answered 2xx %s, stored %s: lost %s = %.2f s of traffic\n' "$accepted" "$rows" "$((accepted - rows))" \
        "$(bc -l <<<"($accepted - $rows) * 6 / $accepted")"
    fi
  done
}

sigterm_bench() {
  for store in ${STORES:-sqlite postgresql}; do
    local db="$work/sigterm-$store.db" schema="beacon_sigterm_$$" args=("$sample")
    args+=(--ConnectionStrings:Beacon="Data Source=$db")
    if [ "$store" = postgresql ]; then
      [ -n "${FRANCISBEACON_TEST_POSTGRES:-}" ] || { echo "-- no PostgreSQL: skipping"; continue; }
      args+=(--ConnectionStrings:BeaconPostgreSql="$FRANCISBEACON_TEST_POSTGRES" --FrancisBeacon:PostgreSql:Schema="$schema")
    fi
    echo "== SIGTERM during a full-rate flood, $store store ($connections connections, ${duration}s of wrk, SIGTERM after $((duration / 2))s)"
    start_app "sigterm-$store" "${args[@]}"; local pid=$app_pid url=$app_url
    wrk -t "$threads" -c "$connections" -d "$duration" "${browser_headers[@]}" "$url$pixel_path" >"$work/sigterm-$store.wrk" 2>&1 &
    local wrk_pid=$!
    sleep $((duration / 2))
    local t0; t0=$(date +%s.%N)
    kill -TERM "$pid"
    local code=0; wait "$pid" 2>/dev/null || code=$?
    local stop_s; stop_s=$(bc <<<"$(date +%s.%N) - $t0")
    wait "$wrk_pid" || true
    local answered requests non2xx errors rows
    read -r answered requests non2xx errors < <(wrk_counts <"$work/sigterm-$store.wrk")
    rows=$(count_rows "$store" "$db" "$schema")
    printf 'exit code %s, stopped in %.1f s; wrk: %s answered (%s non-2xx), socket errors: %s\n' "$code" "$stop_s" "$requests" "$non2xx" "$errors"
    echo "stored rows: $rows; answered 2xx: $answered (rows may exceed it by requests the server answered after wrk gave up on them)"
    [ "$rows" -lt "$answered" ] && echo "LOST: $((answered - rows)) hits answered 2xx were not stored"
    grep -E '\[(20[0-9]|21[0-9])\]' "$work/sigterm-$store.out" | sed 's/^/  log: /' | head -6 || true
  done
}

kills_bench() {
  local kills=${KILLS:-10} db="$work/kills.db" round bad=0
  echo "== $kills SIGKILLs during full-rate floods on one SQLite file, PRAGMA integrity_check after each"
  for round in $(seq 1 "$kills"); do
    start_app "kills-$round" "$sample" --ConnectionStrings:Beacon="Data Source=$db"; local pid=$app_pid url=$app_url
    local after_ms=$((1500 + RANDOM % 3000))
    wrk -t "$threads" -c "$connections" -d 8 "${browser_headers[@]}" "$url$pixel_path" >"$work/kills-$round.wrk" 2>&1 &
    local wrk_pid=$!
    sleep "$(bc -l <<<"$after_ms / 1000")"; kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
    kill -TERM "$wrk_pid" 2>/dev/null || true; wait "$wrk_pid" 2>/dev/null || true
    local check; check=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$db")
    [ "$check" = ok ] || bad=$((bad + 1))
    printf 'kill %2d after %4d ms: integrity_check %s, rows %s\n' "$round" "$after_ms" "$check" "$(count_rows sqlite "$db")"
  done
  echo "integrity_check not ok after $bad of $kills kills"
}

stall_bench() {
  local hold=$((duration + 20)) counters
  counters=$(command -v dotnet-counters || ls "$HOME/.dotnet/tools/dotnet-counters" 2>/dev/null || true)
  for mode in ${QUEUE_FULL_MODES:-Drop Refuse}; do
    local db="$work/stall-$mode.db" probes="$work/stall-$mode.probes"
    echo "== stalled store (SQLite file locked for ${hold} s), QueueFullMode $mode, ${duration}s of wrk GET hit.gif, probes every second"
    start_app "stall-$mode" "$sample" --ConnectionStrings:Beacon="Data Source=$db" --FrancisBeacon:QueueFullMode="$mode" \
      --Logging:LogLevel:FrancisBeacon=Information
    local pid=$app_pid url=$app_url counters_pid=''
    if [ -n "$counters" ]; then
      "$counters" collect -p "$pid" --counters FrancisBeacon --refresh-interval 1 --format csv -o "$work/stall-$mode.csv" >/dev/null 2>&1 &
      counters_pid=$!
    fi
    dotnet "$bench" lock "$db" "$hold" >"$work/lock.out" & local lock_pid=$!
    until grep -q locked "$work/lock.out" 2>/dev/null; do sleep 0.2; done
    local start; start=$(date +%s)
    wrk -t "$threads" -c "$connections" -d "$duration" "${browser_headers[@]}" "$url$pixel_path" >"$work/stall-$mode.wrk" 2>&1 &
    local wrk_pid=$! peak=0 second
    sleep 1
    printf '%s\n' "  s  healthz                dashboard  page       stats-api  RSS" >"$probes"
    while kill -0 "$wrk_pid" 2>/dev/null; do
      second=$(( $(date +%s) - start ))
      local h d p a rss
      h=$(curl -s -m 10 -o "$work/h.body" -w '%{http_code} %{time_total}s' "$url/healthz"); h="$(cat "$work/h.body") $h"
      d=$(curl -s -m 10 -o /dev/null -w '%{http_code} %{time_total}s' "$url/beacon")
      p=$(curl -s -m 10 -o /dev/null -w '%{http_code} %{time_total}s' "$url/about")
      a=$(curl -s -m 10 -o /dev/null -w '%{http_code} %{time_total}s' "$url/beacon/api/stats?site_id=localhost&period=day")
      rss=$(rss_now_mb "$pid"); [ "$rss" -gt "$peak" ] && peak=$rss
      printf '%3d  %-22s %-10s %-10s %-10s %s MB\n' "$second" "$h" "${d% *}:${d#* }" "${p% *}:${p#* }" "${a% *}:${a#* }" "$rss" >>"$probes"
      sleep 1
    done
    wait "$wrk_pid" || true
    local one; one=$(curl -s -o /dev/null -D - "${browser_headers[@]}" "$url$pixel_path" | tr -d '\r' | grep -iE '^(HTTP/|retry-after)' | paste -sd' ')
    sed 's/^/  /' "$probes"
    echo "one hit after the flood, store still stalled: $one"
    # The store returns when the lock is released: time until /healthz says Healthy again (the backlog written).
    wait "$lock_pid"; local back; back=$(date +%s.%N) healthy=''
    for _ in $(seq 1 120); do
      [ "$(curl -s -m 5 "$url/healthz")" = Healthy ] && { healthy=$(bc <<<"$(date +%s.%N) - $back"); break; }
      sleep 0.5
    done
    echo "store back: /healthz Healthy after ${healthy:-more than 60} s; peak RSS $peak MB (sampled), high-water mark $(rss_mb "$pid") MB"
    [ -n "$counters_pid" ] && { kill -TERM "$counters_pid" 2>/dev/null || true; wait "$counters_pid" 2>/dev/null || true; }
    stop_app "$pid"
    local answered requests non2xx errors rows dropped_log dropped_meter=''
    read -r answered requests non2xx errors < <(wrk_counts <"$work/stall-$mode.wrk")
    rows=$(count_rows sqlite "$db")
    dropped_log=$(sed -n 's/.*; \([0-9]*\) hits were turned away while it was full.*/\1/p' "$work/stall-$mode.out" | paste -sd+ | bc)
    if [ -s "$work/stall-$mode.csv" ]; then
      dropped_meter=$(awk -F, 'index($3, "beacon.hits.dropped") {s += $NF} END {printf "%d", s}' "$work/stall-$mode.csv")
    fi
    echo "wrk: $requests answered, $non2xx non-2xx, socket errors: $errors; stored rows $rows"
    echo "turned away: ${dropped_log:-0} (event 211), ${dropped_meter:-n/a} (beacon.hits.dropped); rows + turned away = $((rows + ${dropped_log:-0})) against answered 2xx + non-2xx = $requests (+1 probe hit)"
    echo "log lines by level and event id (console logger):"
    log_lines "$work/stall-$mode.out"
  done
}

outage_bench() {
  [ -n "${pg_home:-}" ] || { echo "-- no throwaway PostgreSQL (tests/postgres.sh start failed: $(cat "$work/pg.log"))"; return 1; }
  local rate=${RATE:-200} mode=${OUTAGE_MODE:-fast} down=${OUTAGE_SECONDS:-30} total=${OUTAGE_RUN:-70} schema="beacon_outage_$$"
  local delay=10 c; c=$(( (rate * delay + 999) / 1000 )); [ "$c" -lt "$threads" ] && c=$threads
  echo "== PostgreSQL outage under a paced load: ~${rate}/s (c=$c, ${delay} ms pauses) for ${total}s; pg_ctl stop -m $mode at 10 s, start at $((10 + down)) s"
  start_app outage "$sample" --ConnectionStrings:BeaconPostgreSql="$FRANCISBEACON_TEST_POSTGRES" --FrancisBeacon:PostgreSql:Schema="$schema" \
    --Logging:LogLevel:FrancisBeacon=Information
  local pid=$app_pid url=$app_url
  WRK_DELAY_MS=$delay wrk -t "$threads" -c "$c" -d "$total" -s tests/benchmarks/paced.lua "${browser_headers[@]}" "$url$pixel_path" >"$work/outage.wrk" 2>&1 &
  local wrk_pid=$! start; start=$(date +%s)
  local health="$work/health.log" second=0 peak=0
  : >"$health"
  while [ "$second" -lt $((total + 15)) ]; do
    second=$(( $(date +%s) - start ))
    if [ "$second" -ge 10 ] && [ -z "${stopped:-}" ]; then
      "${as_owner[@]}" "$bin/pg_ctl" -D "$pg_home/data" -m "$mode" -w stop >/dev/null; stopped=$second
    fi
    if [ -n "${stopped:-}" ] && [ -z "${started:-}" ] && [ "$second" -ge $((10 + down)) ]; then
      "${as_owner[@]}" "$bin/pg_ctl" -D "$pg_home/data" -l "$pg_home/server.log" -w -t 60 -o "$pg_options" start >/dev/null; started=$second
    fi
    printf '%3d %s\n' "$second" "$(curl -s -m 5 -w ' %{http_code} %{time_total}s' "$url/healthz")" >>"$health"
    local rss; rss=$(rss_now_mb "$pid"); [ "$rss" -gt "$peak" ] && peak=$rss
    sleep 1
  done
  wait "$wrk_pid" || true
  echo "server stopped at ${stopped}s, started at ${started}s; peak RSS $peak MB (high-water mark $(rss_mb "$pid") MB)"
  # The health check over time: one line per change of answer.
  awk '{k=$2" "$3; if (k!=last) {print "  healthz from " $1 "s: " $2 " (HTTP " $3 ")"; last=k}}' "$health"
  stop_app "$pid"
  local answered requests non2xx errors rows
  read -r answered requests non2xx errors < <(wrk_counts <"$work/outage.wrk")
  rows=$(count_rows postgresql '' "$schema")
  echo "wrk: $(sed -n 's/^Requests\/sec: *//p' "$work/outage.wrk") req/s, latency $(awk '$1=="Latency" {print "avg " $2 ", max " $4}' "$work/outage.wrk"), socket errors: $errors"
  echo "stored rows: $rows; answered 2xx: $answered; non-2xx: $non2xx"
  [ "$rows" -lt "$answered" ] && echo "LOST: $((answered - rows)) hits answered 2xx were not stored"
  echo "log lines by level and event id (console logger):"
  log_lines "$work/outage.out"
  cp "$work/outage.out" "${OUTAGE_LOG:-/dev/null}" 2>/dev/null || true
  stopped='' started=''
}

# The pixel's answer times while heavy queries run (docs/deployment.md, "Abuse controls": QueryConcurrency).
queries_bench() {
  local db="$work/queries.db" gen=${GEN_DLL:-} queries=${QUERIES:-8} kind=${QUERY_KIND:-query} body conditions=''
  local noun=queries; [ "$kind" = export ] && noun=exports
  if [ -z "$gen" ]; then
    dotnet build tests/benchmarks/FrancisBeacon.DataGenerator -c "$configuration" -nologo -v q >/dev/null
    gen="$root/tests/benchmarks/FrancisBeacon.DataGenerator/bin/$configuration/net10.0/FrancisBeacon.DataGenerator.dll"
  fi
  echo "== queries: $queries heavy $noun at once against ${QUERY_HITS:-300000} hits, a pixel request every 50 ms"
  dotnet "$gen" --store sqlite --connection "Data Source=$db" --hits "${QUERY_HITS:-300000}" --days 60 | tail -1
  for i in $(seq 0 9); do conditions+="${conditions:+,}[\"has_done\",[\"matches\",\"event:page\",[\"x$i.*y\"]]]"; done
  body="{\"site_id\":\"example.com\",\"metrics\":[\"visitors\",\"pageviews\"],\"date_range\":\"all\",\"filters\":[[\"or\",[$conditions]]]}"
  local limit request_path='/beacon/api/v2/query' request_args=(-H 'Content-Type: application/json' --data "$body")
  if [ "$kind" = export ]; then
    request_path='/beacon/api/export?site_id=example.com&period=all&format=ndjson' request_args=()
  fi
  for limit in default 0; do
    local args=("$sample" "--ConnectionStrings:Beacon=Data Source=$db" --FrancisBeacon:Sites:0:Id=example.com)
    [ "$limit" = default ] || args+=("--FrancisBeacon:QueryConcurrency:Limit=$limit")
    # All QUERIES exports at once (QueryConcurrency.Exports, default 4, would answer the rest 503): this measures the slots.
    [ "$kind" != export ] || args+=("--FrancisBeacon:QueryConcurrency:Exports=0")
    start_app "queries-$limit" "${args[@]}"; local pid=$app_pid url=$app_url
    local sent=("${request_args[@]}" "$url$request_path")
    # Warm-up: the query path once, the pixel 50 times.
    curl -s -o /dev/null "${sent[@]}"
    for _ in $(seq 50); do curl -s -o /dev/null "${browser_headers[@]}" "$url$pixel_path"; done
    local times="$work/queries-$limit.q" pixel="$work/queries-$limit.p" started; : >"$times"
    started=$(date +%s.%N)
    local curls=()
    for _ in $(seq "$queries"); do
      curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "${sent[@]}" >>"$times" &
      curls+=($!)
    done
    sleep 0.5
    for _ in $(seq 200); do curl -s -o /dev/null -w '%{time_total}\n' "${browser_headers[@]}" "$url$pixel_path"; sleep 0.05; done >"$pixel"
    wait "${curls[@]}" 2>/dev/null || true
    echo "QueryConcurrency.Limit=$limit: pixel $(sort -n "$pixel" | awk '{a[NR]=$1} END {printf "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%d requests)", a[int(NR*0.5)]*1000, a[int(NR*0.9)]*1000, a[int(NR*0.99)]*1000, a[NR]*1000, NR}'); $noun: $(awk '{c[$1]++} END {for (k in c) printf "%s x%d ", k, c[k]}' "$times")last answered after $(sort -k2 -n "$times" | tail -1 | awk '{printf "%.1f s", $2}') ($(bc <<<"scale=1; ($(date +%s.%N) - $started) / 1") s wall)"
    stop_app "$pid"
  done
}

case "$what" in
  all) http_store sqlite; http_store postgresql; append_bench; flood_bench; kill_bench ;;
  http) for store in ${STORES:-sqlite postgresql}; do http_store "$store"; done ;;
  append) append_bench ;;
  flood) flood_bench ;;
  kill) kill_bench ;;
  sigterm) sigterm_bench ;;
  kills) kills_bench ;;
  stall) stall_bench ;;
  outage) outage_bench ;;
  queries) queries_bench ;;
  *) echo "usage: $0 [all|http|append|flood|kill|sigterm|kills|stall|outage|queries]"; exit 2 ;;
esac
