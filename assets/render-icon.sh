#!/usr/bin/env bash
# Renders assets/icon.svg to assets/icon.png (128x128 RGBA, the NuGet package icon) with headless Chromium: the SVG is
# drawn on a canvas whose PNG data URL is read back with --dump-dom (screenshots have a minimum window size).
#   bash assets/render-icon.sh        (needs /usr/bin/chromium; the PNG is committed, so builds never run this)
set -euo pipefail
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
svg=$(base64 -w0 "$dir/icon.svg")
cat > "$tmp/icon.html" <<HTML
<!doctype html><html><body><pre id="out"></pre><script>
const img = new Image();
img.onload = () => {
  const canvas = document.createElement('canvas');
  canvas.width = 128; canvas.height = 128;
  canvas.getContext('2d').drawImage(img, 0, 0, 128, 128);
  document.getElementById('out').textContent = 'PNG:' + canvas.toDataURL('image/png').split(',')[1] + ':END';
};
img.src = 'data:image/svg+xml;base64,$svg';
</script></body></html>
HTML
chromium --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/profile" --virtual-time-budget=5000 \
  --dump-dom "file://$tmp/icon.html" 2>/dev/null > "$tmp/dom.html"
sed -n 's/.*PNG:\([A-Za-z0-9+/=]*\):END.*/\1/p' "$tmp/dom.html" | base64 -d > "$dir/icon.png"
[ -s "$dir/icon.png" ] || { echo "rendering failed"; exit 1; }
echo "wrote $dir/icon.png ($(wc -c < "$dir/icon.png") bytes)"
