#!/usr/bin/env bash
# Writes browser-user-agents.expected.tsv: what ua-parser-js, an independent parser, reads from each user agent of
# browser-user-agents.txt, mapped to UserAgentParser's names (the mapping is below and in README.md).
# Needs npm and node; run by hand after refresh.sh, never from the build or the tests.
#   bash expected.sh [ua-parser-js version]
# Only ua-parser-js 1.x: it is MIT; 2.x is AGPL-3.0 and must not be used.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${1:-1.0.41}"
case "$version" in
  1.*) ;;
  *) echo "ua-parser-js $version: only 1.x (MIT) may be used; 2.x is AGPL-3.0" >&2; exit 1 ;;
esac
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
file="$(npm pack --silent "ua-parser-js@$version")"
tar xzf "$file"
license="$(node -p 'require("./package/package.json").license')"
if [ "$license" != "MIT" ]; then
  echo "ua-parser-js $version is licensed $license, not MIT" >&2
  exit 1
fi
cp package/license.md "$here/ua-parser-js.LICENSE.txt"

node - "$work/package/src/ua-parser.js" "$version" "$here/browser-user-agents.txt" > "$here/browser-user-agents.expected.tsv" <<'EOF'
const fs = require("fs");
const [parserPath, version, corpusPath] = process.argv.slice(2);
const UAParser = require(parserPath);

// ua-parser-js browser names -> UserAgentParser's. A name not listed is kept as ua-parser-js spells it (and then
// counts as a disagreement unless UserAgentParser happens to spell it the same way).
const browsers = {
  "Mobile Safari": "Safari",                         // Safari on iPhone/iPad: one family, as in Plausible
  "Chrome Headless": "Headless Chrome",
  "Chrome WebView": "Chrome Webview",
  "Opera GX": "Opera", "Opera Touch": "Opera", "Opera Mini": "Opera", "Opera Mobi": "Opera", "Opera Tablet": "Opera",
  "Opera Coast": "Opera",                            // every Opera product is "Opera"
  "IE": "Internet Explorer", "IEMobile": "Internet Explorer",
  "Silk": "Amazon Silk",
  "Yandex": "Yandex Browser",
  "UCBrowser": "UC Browser",
  "QQBrowser": "QQ Browser", "QQBrowserLite": "QQ Browser", "MQQBrowser": "QQ Browser",
  "HeyTap": "HeyTap Browser",
  "PaleMoon": "Pale Moon",
};
// In-app browsers and app WebViews: UserAgentParser reports them all as "Mobile App", without a version.
const apps = new Set(["Facebook", "Instagram", "GSA", "WeChat", "KAKAOTALK", "KakaoStory", "Line", "LINE", "Twitter",
  "LinkedIn", "Snapchat", "TikTok", "Naver", "NAVER", "DaumApps", "Alipay", "Klarna"]);
// Operating systems whose user agents do not say "Mobile" or "Tablet": ua-parser-js leaves the device type undefined.
const desktops = new Set(["Windows", "Mac OS", "Linux", "Ubuntu", "Debian", "Fedora", "Linux Mint", "Arch", "Gentoo",
  "openSUSE", "Mint", "Chromium OS", "FreeBSD", "OpenBSD", "NetBSD"]);
const linuxes = new Set(["Ubuntu", "Debian", "Fedora", "Linux Mint", "Mint", "Arch", "Gentoo", "openSUSE", "CentOS",
  "Red Hat", "SUSE", "Mageia", "Slackware", "Kubuntu", "Xubuntu", "Mandriva", "elementary OS", "Deepin", "Manjaro"]);
const operatingSystems = { "Mac OS": "macOS", "Chromium OS": "Chrome OS" };
const devices = { mobile: "Mobile", tablet: "Tablet", smarttv: "TV", console: "Console", wearable: "Mobile" };

const major = v => (v && /^\d+/.test(v) ? String(parseInt(v, 10)) : "");

function expected(ua) {
  const r = new UAParser(ua).getResult();
  const rawBrowser = r.browser.name || "", rawOs = r.os.name || "", rawOsVersion = r.os.version || "";
  const rawDevice = r.device.type || "";

  let browser = rawBrowser, browserMajor = major(r.browser.version);
  if (apps.has(rawBrowser) || (rawBrowser === "WebKit" && rawOs === "iOS")) {
    browser = "Mobile App"; browserMajor = "";       // an app's own version is not a browser version
  } else if (browsers[rawBrowser]) {
    browser = browsers[rawBrowser];
  }

  let os = operatingSystems[rawOs] || (linuxes.has(rawOs) ? "Linux" : rawOs);
  let osVersion;
  if (rawOs === "Windows") osVersion = rawOsVersion;          // "10", "8.1", "7", "XP", "Vista": already names
  else if (rawOs === "Mac OS") osVersion = /^10\.\d+/.test(rawOsVersion)
    ? rawOsVersion.split(".").slice(0, 2).join(".")            // 10.x: the minor is the release (10.15 Catalina)
    : major(rawOsVersion);
  else if (rawOs === "Chromium OS" || linuxes.has(rawOs) || rawOs === "Linux") osVersion = ""; // a build number or distro release, not reported
  else osVersion = major(rawOsVersion);
  // iPadOS is iOS on an iPad from 13 on; ua-parser-js 1.x calls both iOS.
  if (rawOs === "iOS" && r.device.model === "iPad" && parseInt(rawOsVersion, 10) >= 13) os = "iPadOS";

  let device = devices[rawDevice] || rawDevice;
  if (!rawDevice && desktops.has(rawOs)) device = "Desktop";

  return [browser, browserMajor, os, osVersion, device, rawBrowser, r.browser.version || "", rawOs, rawOsVersion, rawDevice];
}

const lines = fs.readFileSync(corpusPath, "utf8").split("\n").filter(line => line.length > 0);
const out = [
  `# ua-parser-js ${version} (MIT, ua-parser-js.LICENSE.txt) over browser-user-agents.txt; written by expected.sh, do not edit.`,
  "# columns 2-6: mapped to UserAgentParser's names (empty = unknown); columns 7-11: ua-parser-js's own output.",
  ["user_agent", "browser", "browser_major", "os", "os_version", "device_type",
   "uap_browser", "uap_browser_version", "uap_os", "uap_os_version", "uap_device_type"].join("\t"),
];
for (const ua of lines) {
  const row = [ua, ...expected(ua)];
  if (row.some(v => /[\t\r\n]/.test(v))) throw new Error("tab or newline in " + ua);
  out.push(row.join("\t"));
}
process.stdout.write(out.join("\n") + "\n");
process.stderr.write(`ua-parser-js ${version}: ${lines.length} user agents\n`);
EOF
