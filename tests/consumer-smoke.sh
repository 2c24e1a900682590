#!/usr/bin/env bash
# The consumer smoke test: proves the *packages* work, not just the repository.
# Packs every src/ project into a local folder feed, creates a brand-new app with `dotnet new web` in a temporary
# directory, installs FrancisBeacon.AspNetCore and FrancisBeacon.Sqlite from that feed (no project references), adds
# the documented lines (the Program.cs of docs/getting-started.md), runs it, sends hits, reads them back through the
# API and fetches the tracker script, the page with the pixel, the dashboard shell and its site list.
# Needs a built solution (tests/run.sh builds it first). Exits 0 on success; prints what failed otherwise.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
configuration=${CONFIGURATION:-Debug}
work=$(mktemp -d "${TMPDIR:-/tmp}/francisbeacon-consumer.XXXXXX")
pid=""
packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$work"
  # A unique version per run keeps NuGet's cache from serving an older pack; drop it again afterwards.
  for dir in "$packages"/francisbeacon*/; do rm -rf "${dir}${version:-none}"; done
}
trap cleanup EXIT

prefix=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' "$root/Directory.Build.props")
version="$prefix-smoke.$(date +%s)"
for project in "$root"/src/*/; do
  dotnet pack "$project" -c "$configuration" --no-build -o "$work/feed" -nologo -v quiet -p:PackageVersion="$version"
done

cd "$work"
dotnet new web -o app -n ConsumerApp --no-restore >/dev/null
cat > app/nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="francisbeacon-local" value="$work/feed" />
  </packageSources>
</configuration>
XML
cd app
dotnet add package FrancisBeacon.AspNetCore --version "$version" >/dev/null
dotnet add package FrancisBeacon.Sqlite --version "$version" >/dev/null
if grep -q 'ProjectReference' ConsumerApp.csproj; then echo "consumer app references a project"; exit 1; fi

# Program.cs is the complete one from docs/getting-started.md ("Five minutes"), so the newcomer's path is what runs.
awk '/^## Five minutes/ { section = 1 } section && /^```csharp$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' \
  "$root/docs/getting-started.md" > Program.cs
grep -q 'AddBeacon' Program.cs || { echo "consumer smoke: no Program.cs found in docs/getting-started.md"; exit 1; }
dotnet build -nologo -v quiet >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 5199)
dotnet run --no-build --urls "http://127.0.0.1:$port" > run.log 2>&1 &
pid=$!
for _ in $(seq 1 60); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.5
done

ua='Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'
for _ in $(seq 1 7); do
  curl -s -o /dev/null -A "$ua" -H 'Accept-Language: en' -H 'Referer: http://localhost/from-a-package' "http://127.0.0.1:$port/beacon/hit.gif"
done
sleep 2
stats=$(curl -s "http://127.0.0.1:$port/beacon/api/stats?site_id=localhost&period=day")
case "$stats" in
  *'"page":"/from-a-package","visitors":1,"pageviews":7'*) ;;
  *) echo "consumer smoke: unexpected stats: $stats"; tail -n 20 run.log; exit 1 ;;
esac
page=$(curl -s "http://127.0.0.1:$port/")
case "$page" in
  *'src="/beacon/hit.gif"'*) ;;
  *) echo "consumer smoke: the getting-started page has no pixel: ${page:0:200}"; exit 1 ;;
esac
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/beacon/script.js")
[ "$status" = "200" ] || { echo "consumer smoke: script.js answered $status"; exit 1; }
shell=$(curl -s "http://127.0.0.1:$port/beacon")
case "$shell" in
  *'<base href="/beacon/">'*) ;;
  *) echo "consumer smoke: the dashboard shell did not load: ${shell:0:200}"; exit 1 ;;
esac
# With no sites configured the dashboard offers the site of its own host name (getting-started.md: "open /beacon").
sites=$(curl -s -H 'Host: localhost' "http://127.0.0.1:$port/beacon/api/sites")
case "$sites" in
  *'"id":"localhost"'*) ;;
  *) echo "consumer smoke: the dashboard has no site to show: $sites"; exit 1 ;;
esac
echo "consumer smoke: packages from a local feed work in a new app ($version)"
