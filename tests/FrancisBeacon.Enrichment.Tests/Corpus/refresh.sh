#!/usr/bin/env bash
# Rebuilds the user-agent corpora in this folder from their npm packages.
# Needs npm and node; run by hand, never from the build or the tests.
#   bash refresh.sh [crawler-user-agents version] [user-agents versions, comma-separated] [top-user-agents version]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
crawler_version="${1:-1.60.0}"
ua_versions="${2:-1.0.1067,1.0.1192,1.0.1328,1.1.34,1.1.164,1.1.300,1.1.325,1.1.544,1.1.600,1.1.637,2.1.1,2.1.51,2.1.100,2.1.153,2.1.198}"
top_version="${3:-2.1.138}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

unpack() { # name version -> directory
  local file
  file="$(npm pack --silent "$1@$2")"
  mkdir -p "$1-$2"
  tar xzf "$file" -C "$1-$2"
  echo "$work/$1-$2/package"
}

crawler_dir="$(unpack crawler-user-agents "$crawler_version")"
cp "$crawler_dir/LICENSE" "$here/crawler-user-agents.LICENSE.txt"
node -e '
  const list = require(process.argv[1]);
  const seen = new Set();
  for (const entry of list) for (const ua of entry.instances || []) {
    if (ua.includes("\n") || ua.includes("\r") || seen.has(ua)) continue;
    seen.add(ua);
  }
  process.stdout.write([...seen].join("\n") + "\n");
' "$crawler_dir/crawler-user-agents.json" > "$here/crawler-user-agents.txt"

dirs=()
IFS=',' read -ra versions <<< "$ua_versions"
for v in "${versions[@]}"; do
  dirs+=("$(unpack user-agents "$v")")
done
cp "${dirs[-1]}/LICENSE" "$here/user-agents.LICENSE.txt"
top_dir="$(unpack top-user-agents "$top_version")"
cp "$top_dir/LICENSE.md" "$here/top-user-agents.LICENSE.txt"

# Real browsers only. The user-agents data is sampled from real traffic, and that traffic includes scripted clients
# posing as browsers; drop (1) rows whose navigator.platform contradicts the user agent (an "iPhone" or "Android"
# reporting "Linux x86_64" is Chrome DevTools device emulation or a headless script), (2) Chrome versions with a
# four-digit patch number (random versions made up by user-agent generators), and (3) anything a pattern of
# crawler-user-agents.json matches. None of these filters is the detector under test.
node -e '
  const fs = require("fs"), zlib = require("zlib");
  const [crawlerJson, topDir, ...uaDirs] = process.argv.slice(1);
  const patterns = require(crawlerJson).map(e => new RegExp(e.pattern));
  const platformFits = (ua, p) => {
    p = p || "";
    if (/iPhone|iPod/.test(ua)) return p === "iPhone" || p === "iPod";
    if (/iPad/.test(ua)) return p === "iPad" || p === "MacIntel";
    if (/Android/.test(ua)) return /^Linux (arm|aarch64)/.test(p);
    if (/Windows/.test(ua)) return p.startsWith("Win");
    if (/Macintosh/.test(ua)) return p === "MacIntel";
    if (/Linux|X11|CrOS/.test(ua)) return p.startsWith("Linux");
    return false;
  };
  const all = new Set();
  let rows = 0, contradicting = 0, madeUp = 0;
  for (const dir of uaDirs) {
    const plain = dir + "/dist/user-agents.json", gz = dir + "/src/user-agents.json.gz";
    const data = fs.existsSync(plain) ? JSON.parse(fs.readFileSync(plain)) : JSON.parse(zlib.gunzipSync(fs.readFileSync(gz)));
    for (const row of data) {
      rows++;
      if (!platformFits(row.userAgent, row.platform)) { contradicting++; continue; }
      if (/Chrome\/\d+\.\d+\.\d+\.\d{4}/.test(row.userAgent)) { madeUp++; continue; }
      all.add(row.userAgent);
    }
  }
  for (const ua of require(topDir + "/src/index.json")) all.add(ua);
  const kept = [...all].filter(ua => ua && !/[\r\n]/.test(ua) && !patterns.some(p => p.test(ua))).sort();
  process.stderr.write(`browser corpus: ${rows} rows, ${contradicting} with a contradicting platform, ${madeUp} with a made-up Chrome version; ` +
    `${all.size} unique left, ${all.size - kept.length} dropped as crawlers, ${kept.length} kept\n`);
  process.stdout.write(kept.join("\n") + "\n");
' "$crawler_dir/crawler-user-agents.json" "$top_dir" "${dirs[@]}" > "$here/browser-user-agents.txt"

echo "crawler corpus: $(wc -l < "$here/crawler-user-agents.txt") user agents from crawler-user-agents@$crawler_version" >&2
