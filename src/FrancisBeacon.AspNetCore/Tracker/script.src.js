// FrancisBeacon tracker: the readable source of script.js.
//
// script.js is this file minified by hand (with the local names chosen for gzip), kept under 1 KB gzipped. Keep the
// two in step: tests/tracker runs every behaviour test against both files and checks the size. The loose checks
// below (truthy instead of === true, == 1) are deliberate: they are what the minified file does, and cost fewer bytes.
//
// Configuration comes from the data- attributes of this script's own <script> tag (docs/tracker.md); a feature is
// switched on by its attribute being present. The script never touches cookies, localStorage, sessionStorage or any
// other storage, and reads nothing to fingerprint a browser: an event is the page URL, the referrer, the window width,
// the event name and the page's own props.
(function (window, document, navigator, location) {
  var last;                                  // the path of the last page view: the same page is never sent twice in a row
  var script = document.currentScript;       // load as a classic <script>, not type="module" (no currentScript there)
  var queued = window.beacon;                // the queue stub, when the page defined it before this script loaded
  var data = script.dataset;
  var has = function (name) { return name in data; };
  var hashMode = has('hash');

  // A comma-separated list as one regular expression, prefix + "(a|b|c)$": "*" matches any characters, "," separates,
  // whitespace is dropped, any other non-word character is escaped (matched literally).
  var list = function (value, prefix, flags) {
    return RegExp(prefix + '(' + value.replace(/\W/g, function (c) {
      return c == '*' ? '.*' : c == ',' ? '|' : c > ' ' ? '\\' + c : '';
    }) + ')$', flags);
  };
  // data-exclude="/admin*,/drafts/*": anchored at both ends. Without it the pattern is ^()$, which no path matches.
  var exclude = list(data.exclude || '', '^');
  // data-downloads: the default extensions, or the ones it lists ("pdf,zip"); matched case-insensitively.
  var downloads = has('downloads') && list(data.downloads ||
    'pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg,iso,msi',
    '\\.', 'i');
  // data-api, else "event" next to this script: https://example.com/beacon/script.js -> https://example.com/beacon/event
  var api = data.api || new URL('event', script.src);
  // Fixed for the life of the page: automation, local development (unless data-allow-localhost; an empty host name is
  // file:), Do Not Track and Global Privacy Control (only when the site asks to respect them).
  var ignored = navigator.webdriver ||
    (!has('allowLocalhost') && /^(localhost|127\..*|\[::1]|)$/.test(location.hostname)) ||
    (has('respectDnt') && navigator.doNotTrack == 1) ||
    (has('respectGpc') && navigator.globalPrivacyControl);

  // The page as the tracker sees it: the path, plus the hash in hash mode.
  var path = function () { return location.pathname + (hashMode ? location.hash : ''); };

  var listen = function (target, types, listener) {
    types.split(' ').forEach(function (type) { target.addEventListener(type, listener); });
  };

  // window.beacon(name, { props, revenue: { amount, currency }, callback })
  function beacon(name, { props, revenue, callback = function () {} } = {}) {
    var body = JSON.stringify({
      name: name,
      url: hashMode ? location.href : location.href.split('#')[0],
      referrer: document.referrer || null,
      screen_width: window.innerWidth,
      domain: data.domain,                   // JSON.stringify leaves out members that are undefined
      props: props,
      revenue: revenue && { ...revenue, amount: '' + revenue.amount }
    });
    // Skipped events still run the callback. sendBeacon queues a text/plain body (no CORS preflight) that survives
    // the page unloading; when it is missing or refuses, fetch with keepalive and without credentials.
    if (ignored || exclude.test(path()) || navigator.sendBeacon?.(api, body)) return callback();
    fetch(api, { method: 'POST', body: body, keepalive: true, credentials: 'omit' }).then(callback, callback);
  }

  // A page view when the path (or, in hash mode, the hash) differs from the last page view's.
  function pageview() {
    if (last == (last = path())) return;
    beacon('pageview');
    if (has('404') && (window.beaconIs404 || document.querySelector('meta[name=beacon-404]')))
      beacon('404', { props: { path: last } });
  }

  // Clicks (and middle clicks: auxclick with button 1) on http(s) links: file downloads, then outbound links. The
  // prop url is the link without its query string or fragment, so tokens in links are never recorded.
  function click(event) {
    var link = event.target.closest?.('a'), name;
    if (!/^http/.test(link?.protocol) || !(event.button < 2)) return;
    name = downloads && downloads.test(link.pathname) ? 'File Download'
      : has('outbound') && link.host != location.host && 'Outbound Link: Click';
    if (name) beacon(name, { props: { url: link.origin + link.pathname } });
  }

  // Single-page apps: history changes, back/forward, and hash changes (which change path() only in hash mode).
  ['pushState', 'replaceState'].forEach(function (method) {
    var original = history[method];
    history[method] = function (...args) { original.apply(history, args); pageview(); };
  });
  listen(window, 'popstate hashchange', pageview);
  listen(document, 'click auxclick', click);
  // A prerendered page (speculation rules) is counted when the visitor actually opens it.
  listen(document, 'prerenderingchange', pageview);

  window.beacon = beacon;
  if (!document.prerendering) pageview();
  // Replay, in order, the calls the page queued through the stub before this script loaded.
  queued?.q?.forEach(function (args) { beacon(...args); });
})(window, document, navigator, location);
