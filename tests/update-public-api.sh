#!/usr/bin/env bash
# Records new public API in PublicAPI.Unshipped.txt (additions only; see below), for every src/ project.
#
#   bash tests/update-public-api.sh            # all src/ projects (about a minute per project)
#   bash tests/update-public-api.sh src/FrancisBeacon.Sqlite [more project dirs...]
#
# The build fails on RS0016 (a public symbol missing from PublicAPI.*.txt) and RS0017 (a listed symbol that is no
# longer public). This script applies the PublicApiAnalyzers code fixes through `dotnet format analyzers` and then
# sorts each PublicAPI.Unshipped.txt (ordinal, `#nullable enable` first) so that merges of parallel work stay
# line-by-line. Only RS0016 (additions) is fixed: dotnet format's RS0017 fix was seen to delete the compiler-
# synthesised members of records (Equals, <Clone>$, operators) that the build then demands back, so a removal
# (RS0017 in the build) is deleted from the file by hand. Review the diff: every added line is a public API promise (see docs/public-api.md).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

projects=()
if [ "$#" -gt 0 ]; then
  for dir in "$@"; do projects+=("$(ls "${dir%/}"/*.csproj)"); done
else
  projects=(src/*/*.csproj)
fi

for project in "${projects[@]}"; do
  dir=$(dirname "$project")
  for file in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    [ -f "$dir/$file" ] || printf '#nullable enable\n' > "$dir/$file"
  done
done

# One project at a time: a solution-wide `dotnet format` run was seen to fix only some projects' files.
for project in "${projects[@]}"; do
  echo "== $project"
  dotnet format analyzers "$project" --diagnostics RS0016 --severity warn -v quiet
done

work=$(mktemp -d "${TMPDIR:-/tmp}/francisbeacon-publicapi.XXXXXX")
trap 'rm -rf "$work"' EXIT
for project in "${projects[@]}"; do
  file="$(dirname "$project")/PublicAPI.Unshipped.txt"
  { echo '#nullable enable'; grep -v -e '^#nullable enable$' -e '^$' "$file" | LC_ALL=C sort -u; } > "$work/sorted"
  if ! cmp -s "$work/sorted" "$file"; then cp "$work/sorted" "$file"; fi
done

git -C "$root" status --short -- 'src/*/PublicAPI.*.txt'
