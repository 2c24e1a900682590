#!/usr/bin/env bash
# Records new public API in PublicAPI.Unshipped.txt and drops entries whose API is gone, for every src/ project.
#
#   bash tests/update-public-api.sh            # all src/ projects (one workspace load, about a minute or two)
#   bash tests/update-public-api.sh src/FrancisBeacon.Sqlite [more project dirs...]
#
# The build fails on RS0016 (a public symbol missing from PublicAPI.*.txt) and RS0017 (a listed symbol that is no
# longer public). This script applies the PublicApiAnalyzers code fixes through `dotnet format analyzers` and then
# sorts each PublicAPI.Unshipped.txt (ordinal, `#nullable enable` first) so that merges of parallel work stay
# line-by-line. Review the diff: every added line is a public API promise (see docs/public-api.md).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

projects=()
if [ "$#" -gt 0 ]; then
  for dir in "$@"; do projects+=("$(ls "${dir%/}"/*.csproj)"); done
else
  projects=(src/*/*.csproj)
fi

# One temporary solution holding just these projects: `dotnet format` loads it once instead of once per project.
work=$(mktemp -d "${TMPDIR:-/tmp}/francisbeacon-publicapi.XXXXXX")
trap 'rm -rf "$work"' EXIT
dotnet new sln --format sln -n PublicApi -o "$work" >/dev/null
dotnet sln "$work/PublicApi.sln" add "${projects[@]}" >/dev/null

for project in "${projects[@]}"; do
  dir=$(dirname "$project")
  for file in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    [ -f "$dir/$file" ] || printf '#nullable enable\n' > "$dir/$file"
  done
done

# Exit code 2 would mean "changes were needed" only with --verify-no-changes; anything else non-zero is a failure.
dotnet format analyzers "$work/PublicApi.sln" --diagnostics RS0016 RS0017 --severity warn -v quiet

for project in "${projects[@]}"; do
  file="$(dirname "$project")/PublicAPI.Unshipped.txt"
  { echo '#nullable enable'; grep -v -e '^#nullable enable$' -e '^$' "$file" | LC_ALL=C sort -u; } > "$work/sorted"
  if ! cmp -s "$work/sorted" "$file"; then cp "$work/sorted" "$file"; fi
done

git -C "$root" status --short -- 'src/*/PublicAPI.*.txt'
