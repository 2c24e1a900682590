#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Ingestion benchmark (not part of the test suite; results and method in docs/performance.md#ingestion).
#
#   bash tests/benchmarks/load.sh [all|http|append|flood|kill]   (default: all)
#
# http    wrk over loopback against a bare ASP.NET Core app answering 204 and the sample's beacon (GET hit.gif,
#         POST event), interleaved, with the SQLite store and with the PostgreSQL store; then p50/p99 at about half
#         the beacon's rate, and the bare app's at the same rates (the harness's floor); then counts the stored rows
#         against the answered requests.
# append  batched IHitStore.AppendAsync throughput of each store (dirty-hour marking included), then one rollup pass
#         over the days written (RefreshRollupsAsync), reported as append + rollups.
# flood   memory under a flood with the store stalled (an exclusive lock on the SQLite file), then the backlog.
# kill    SIGKILL during a flood: hits lost without and with durable mode (Spool.Directory).
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

if [ -z "${FRANCISBEACON_TEST_POSTGRES:-}" ] && [[ "$what" =~ ^(all|http|append)$ ]] && [[ "${STORES:-postgresql}" == *postgresql* ]]; then
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
    "${as_owner[@]}" "$bin/pg_ctl" -D "$pg_home/data" -l "$pg_home/server.log" -w -t 60 \
      -o "-k $pg_home -p $port -h 127.0.0.1 -c max_connections=200" restart >/dev/null
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
  local requests non2xx rps p50 p99 errors
  requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
  non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' <<<"$out"); non2xx=${non2xx:-0}
  errors=$(sed -n 's/^ *Socket errors: \(.*\)$/\1/p' <<<"$out")
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
  [ -n "${accepted_file:-}" ] && echo $((requests - non2xx)) >>"$accepted_file"
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
    local out requests non2xx
    out=$(WRK_DELAY_MS=$delay wrk -t "$threads" -c "$c" -d 3 -s tests/benchmarks/paced.lua "${browser_headers[@]}" "$url")
    # The calibration's hits are stored too: count them as answered, or the rows count would hide as many losses.
    requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
    non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' <<<"$out")
    [ -n "${accepted_file:-}" ] && echo $((${requests:-0} - ${non2xx:-0})) >>"$accepted_file"
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
  if [ "$store" = sqlite ]; then rows=$(dotnet "$bench" count sqlite "$db"); else rows=$(dotnet "$bench" count postgresql "$FRANCISBEACON_TEST_POSTGRES" "$schema"); fi
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
  echo "a page during the flood: $during; peak RSS $(rss_mb "$pid") MB, now $(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status") MB"
  curl -s "$url/beacon/api/stats?site_id=localhost&period=day" >/dev/null || true
  wait "$lock_pid"
  sleep 8
  stop_app "$pid"
  echo "after the store returned: $(dotnet "$bench" count sqlite "$db") rows written (the queue's bound; the rest were dropped and counted)"
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
    rows=$(dotnet "$bench" count sqlite "$db")
    # The process lived about 6 s of the run: its rate is accepted/6.
    printf 'answered 2xx %s, stored %s: lost %s = %.2f s of traffic\n' "$accepted" "$rows" "$((accepted - rows))" \
      "$(bc -l <<<"($accepted - $rows) * 6 / $accepted")"
  done
}

case "$what" in
  all) http_store sqlite; http_store postgresql; append_bench; flood_bench; kill_bench ;;
  http) for store in ${STORES:-sqlite postgresql}; do http_store "$store"; done ;;
  append) append_bench ;;
  flood) flood_bench ;;
  kill) kill_bench ;;
  *) echo "usage: $0 [all|http|append|flood|kill]"; exit 2 ;;
esac
