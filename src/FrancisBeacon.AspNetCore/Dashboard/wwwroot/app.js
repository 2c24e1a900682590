// FrancisBeacon dashboard: a thin client of POST api/v2/query, GET api/realtime and GET api/sites (docs/dashboard.md).
// Every value that came from a visitor reaches the page through textContent, never innerHTML.
(function () {
  "use strict";

  var PERIODS = ["day", "yesterday", "7d", "28d", "30d", "month", "6mo", "12mo", "year", "all", "custom"];
  var COMPARES = ["previous_period", "year_over_year", "off"];
  var INTERVALS = ["hour", "day", "week", "month"];
  var TOTALS = ["visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"];
  var EVENT_TOTALS = ["visitors", "pageviews"];
  var DETAILS_PAGE = 50;
  var CSV_LIMIT = 10000;
  var PANEL_DELAY = 1000;

  var number = new Intl.NumberFormat(undefined);
  var decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  // Counts from a million up are shortened ("1.2M", "3.4B") where they are shown in a box of fixed width (top row,
  // panel columns, chart axis), the exact number in the element's title; below that they are written out.
  var compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
  var COMPACT_FROM = 1000000;
  var plural = typeof Intl.PluralRules === "function" ? new Intl.PluralRules(undefined) : null;
  var regions = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames(undefined, { type: "region" }) : null;
  var languages = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames(undefined, { type: "language" }) : null;

  // Human names of the dimensions (filter chips, column headings, CSV file names).
  var NAMES = {
    "event:page": "Page", "event:hostname": "Hostname", "event:name": "Event", "event:goal": "Goal",
    "visit:entry_page": "Entry page", "visit:exit_page": "Exit page", "visit:source": "Source", "visit:channel": "Channel",
    "visit:referrer": "Referrer", "visit:utm_source": "UTM source", "visit:utm_medium": "UTM medium",
    "visit:utm_campaign": "UTM campaign", "visit:utm_term": "UTM term", "visit:utm_content": "UTM content",
    "visit:browser": "Browser", "visit:browser_version": "Browser version", "visit:os": "Operating system",
    "visit:os_version": "OS version", "visit:device": "Device", "visit:country": "Country", "visit:region": "Region",
    "visit:city": "City", "visit:screen": "Screen size", "visit:language": "Language",
  };
  var METRIC_NAMES = {
    visitors: "Visitors", visits: "Visits", pageviews: "Pageviews", events: "Events", views_per_visit: "Views per visit",
    bounce_rate: "Bounce rate", visit_duration: "Visit duration", conversion_rate: "Conversion rate",
  };
  var VISIT_DETAILS = ["visitors", "visits", "bounce_rate", "visit_duration"];

  // The panels: each tab is one query (dimension + metrics); details ask for more metrics.
  var PANELS = [
    { id: "pages", title: "Pages", tabs: [
      { id: "pages", label: "Top pages", dimension: "event:page", metrics: ["visitors"], details: ["visitors", "pageviews"] },
      { id: "entry", label: "Entry pages", dimension: "visit:entry_page", metrics: ["visits"], details: VISIT_DETAILS },
      { id: "exit", label: "Exit pages", dimension: "visit:exit_page", metrics: ["visits"], details: VISIT_DETAILS },
    ] },
    { id: "sources", title: "Sources", tabs: [
      { id: "sources", label: "Sources", dimension: "visit:source" },
      { id: "channels", label: "Channels", dimension: "visit:channel" },
      { id: "referrers", label: "Referrers", dimension: "visit:referrer" },
      { id: "utm_medium", label: "Medium", dimension: "visit:utm_medium" },
      { id: "utm_source", label: "UTM source", dimension: "visit:utm_source" },
      { id: "utm_campaign", label: "Campaign", dimension: "visit:utm_campaign" },
      { id: "utm_term", label: "Term", dimension: "visit:utm_term" },
      { id: "utm_content", label: "Content", dimension: "visit:utm_content" },
    ] },
    { id: "locations", title: "Locations", tabs: [
      { id: "countries", label: "Countries", dimension: "visit:country" },
      { id: "regions", label: "Regions", dimension: "visit:region" },
      { id: "cities", label: "Cities", dimension: "visit:city" },
    ] },
    { id: "devices", title: "Devices", tabs: [
      { id: "browsers", label: "Browsers", dimension: "visit:browser" },
      { id: "os", label: "OS", dimension: "visit:os" },
      { id: "devices", label: "Devices", dimension: "visit:device" },
      { id: "screens", label: "Screen sizes", dimension: "visit:screen" },
    ] },
    { id: "languages", title: "Languages", tabs: [
      { id: "languages", label: "Languages", dimension: "visit:language" },
    ] },
    { id: "events", title: "Goals and events", tabs: [
      { id: "goals", label: "Goals", dimension: "event:goal", metrics: ["visitors", "conversion_rate"], details: ["visitors", "events", "conversion_rate"], optional: true },
      { id: "events", label: "Custom events", dimension: "event:name", metrics: ["visitors", "events"], details: ["visitors", "events"], extraFilter: ["is_not", "event:name", ["pageview"]] },
      { id: "props", label: "Properties", dimension: "event:props:", metrics: ["visitors", "events"], details: ["visitors", "events"], optional: true, propKey: true },
    ] },
  ];

  var state = { site: "", period: "30d", from: "", to: "", compare: "previous_period", interval: "", filters: [], tabs: {}, prop: "" };
  var sites = [];
  var chart = null;
  var chartData = null;
  var yTicks = [];
  var realtimeTimer = 0;
  var generation = 0;
  var controller = null;
  var unsupported = {}; // tab id -> true once the API refused it (400) without filters
  var details = { panel: null, tab: null, page: 0, search: "", opener: null, gen: 0 };

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  // ---------------------------------------------------------------- URL state

  function readUrl() {
    var params = new URLSearchParams(location.search);
    state.site = params.get("site") || "";
    var period = params.get("period");
    state.period = PERIODS.indexOf(period) >= 0 ? period : "30d";
    state.from = isoDate(params.get("from")) ? params.get("from") : "";
    state.to = isoDate(params.get("to")) ? params.get("to") : "";
    if (state.period === "custom" && (!state.from || !state.to)) { state.period = "30d"; }
    if (state.period === "custom" && state.from > state.to) { var t = state.from; state.from = state.to; state.to = t; }
    var compare = params.get("compare");
    state.compare = COMPARES.indexOf(compare) >= 0 ? compare : "previous_period";
    var interval = params.get("interval");
    state.interval = INTERVALS.indexOf(interval) >= 0 ? interval : "";
    state.filters = [];
    params.getAll("f").forEach(function (f) {
      var i = f.indexOf("|");
      if (i > 0 && /^(event|visit):[a-z_]+(:.+)?$/.test(f.slice(0, i))) { setFilter(f.slice(0, i), f.slice(i + 1)); }
    });
    state.tabs = {};
    PANELS.forEach(function (p) {
      var tab = params.get("tab_" + p.id);
      if (tab && p.tabs.some(function (t) { return t.id === tab; })) { state.tabs[p.id] = tab; }
    });
    state.prop = (params.get("prop") || "").slice(0, 100);
  }

  function writeUrl(push) {
    var params = new URLSearchParams();
    if (state.site) { params.set("site", state.site); }
    params.set("period", state.period);
    if (state.period === "custom") { params.set("from", state.from); params.set("to", state.to); }
    if (state.compare !== "previous_period") { params.set("compare", state.compare); }
    if (state.interval) { params.set("interval", state.interval); }
    state.filters.forEach(function (f) { params.append("f", f[0] + "|" + f[1]); });
    Object.keys(state.tabs).forEach(function (k) { params.set("tab_" + k, state.tabs[k]); });
    if (state.prop) { params.set("prop", state.prop); }
    var url = location.pathname + "?" + params.toString();
    if (push) { history.pushState(null, "", url); } else { history.replaceState(null, "", url); }
  }

  function isoDate(s) { return typeof s === "string" && /^\d{4}-\d{2}-\d{2}$/.test(s) && !isNaN(Date.parse(s + "T00:00:00Z")); }

  function setFilter(dimension, value) {
    state.filters = state.filters.filter(function (f) { return f[0] !== dimension; });
    state.filters.push([dimension, value]);
  }

  // ---------------------------------------------------------------- API

  // A 503 (too many queries running on the server, or the store briefly unavailable) is asked again after its
  // Retry-After (1-30 s, 5 when absent), at most API_RETRIES times, unless the request was abandoned meanwhile.
  var API_RETRIES = 2;

  function wait(ms, signal) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(resolve, ms);
      if (signal) {
        signal.addEventListener("abort", function () {
          clearTimeout(timer);
          reject(new DOMException("Aborted", "AbortError"));
        }, { once: true });
      }
    });
  }

  // The one place that talks to the API (share-link tokens and other headers belong here). With accept "text/csv"
  // the answer is the response's text (the API's own CSV), otherwise its JSON.
  function api(path, body, signal, accept, attempt) {
    var init = { headers: { Accept: accept || "application/json" }, credentials: "same-origin", signal: signal };
    if (body !== undefined) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch("api/" + path, init).catch(function (error) {
      // No HTTP answer at all (server down, network gone): say so rather than "Failed to fetch".
      if (error.name === "AbortError") { throw error; }
      throw new Error("no answer from the server (" + error.message + ")");
    }).then(function (response) {
      attempt = attempt || 0;
      if (response.status === 503 && attempt < API_RETRIES && !(signal && signal.aborted)) {
        var seconds = parseInt(response.headers.get("Retry-After"), 10);
        seconds = Math.min(Math.max(isNaN(seconds) ? 5 : seconds, 1), 30);
        return wait(seconds * 1000, signal).then(function () { return api(path, body, signal, accept, attempt + 1); });
      }
      if (accept && response.ok) { return response.text(); }
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          var error = new Error(json.error || ("HTTP " + response.status));
          error.status = response.status;
          error.field = json.field;
          throw error;
        }
        return json;
      });
    });
  }

  function dateRange() {
    if (state.period === "custom") { return [state.from, state.to]; }
    if (state.period === "yesterday") { var y = addDays(siteToday(), -1); return [y, y]; }
    return state.period;
  }

  function apiFilters(extra) {
    var list = state.filters.map(function (f) { return ["is", f[0], [f[1]]]; });
    (extra || []).forEach(function (f) { if (f) { list.push(f); } });
    return list;
  }

  function query(body, signal, extraFilters, accept) {
    body.site_id = state.site;
    if (!body.date_range) { body.date_range = dateRange(); }
    var filters = apiFilters(extraFilters);
    if (filters.length > 0) { body.filters = filters; }
    return api(accept ? "v2/query?format=csv" : "v2/query", body, signal, accept);
  }

  // ---------------------------------------------------------------- dates

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function utcDay(d) { return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()); }
  function addDays(day, n) { var d = new Date(day + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() + n); return utcDay(d); }
  function addYears(day, n) { var d = new Date(day + "T00:00:00Z"); d.setUTCFullYear(d.getUTCFullYear() + n); return utcDay(d); }
  function dayCount(from, to) { return Math.round((Date.parse(to + "T00:00:00Z") - Date.parse(from + "T00:00:00Z")) / 86400000) + 1; }

  function siteZone() {
    var s = sites.filter(function (x) { return x.id === state.site; })[0];
    return (s && s.time_zone) || "UTC";
  }

  // "yyyy-MM-dd HH:00:00" now, in the site's time zone (the API's hour label format).
  function siteNowLabel(zone) {
    try {
      var parts = {};
      new Intl.DateTimeFormat("en-US", { timeZone: zone || siteZone(), year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", hourCycle: "h23" })
        .formatToParts(new Date()).forEach(function (p) { parts[p.type] = p.value; });
      return parts.year + "-" + parts.month + "-" + parts.day + " " + pad(Number(parts.hour) % 24) + ":00:00";
    } catch (e) {
      var d = new Date();
      return utcDay(d) + " " + pad(d.getUTCHours()) + ":00:00";
    }
  }

  function siteToday() { return siteNowLabel().slice(0, 10); }

  // The first and last day the API will resolve the current period to (QueryDateRange.Days: named periods end
  // today, in the site's time zone). Only a guess until the site list has the zone; callers check the API's answer.
  function expectedRange() {
    if (state.period === "custom") { return [state.from, state.to]; }
    var today = siteToday();
    var monthStart = function (back) {
      var d = new Date(today.slice(0, 7) + "-01T00:00:00Z");
      d.setUTCMonth(d.getUTCMonth() - back);
      return utcDay(d);
    };
    switch (state.period) {
      case "day": return [today, today];
      case "yesterday": var y = addDays(today, -1); return [y, y];
      case "7d": return [addDays(today, -6), today];
      case "28d": return [addDays(today, -27), today];
      case "30d": return [addDays(today, -29), today];
      case "month": return [monthStart(0), today];
      case "6mo": return [monthStart(5), today];
      case "12mo": return [monthStart(11), today];
      case "year": return [today.slice(0, 4) + "-01-01", today];
      case "all": return ["2000-01-01", today];
      default: return null;
    }
  }

  // How many days the chosen range spans (approximately for named periods), to offer sensible intervals.
  function rangeDays() {
    switch (state.period) {
      case "day": case "yesterday": return 1;
      case "7d": return 7;
      case "28d": return 28;
      case "30d": case "month": return 30;
      case "6mo": return 180;
      case "12mo": case "year": return 365;
      case "all": return 5000;
      default: return dayCount(state.from, state.to);
    }
  }

  function intervalChoices() {
    var days = rangeDays();
    if (days <= 1) { return ["hour"]; }
    if (days <= 7) { return ["hour", "day"]; }
    if (days <= 31) { return ["day", "week"]; }
    if (days <= 400) { return ["day", "week", "month"]; }
    return ["week", "month"];
  }

  function defaultInterval() {
    var days = rangeDays();
    return days <= 1 ? "hour" : days <= 31 ? "day" : "month";
  }

  function currentInterval() {
    return intervalChoices().indexOf(state.interval) >= 0 ? state.interval : defaultInterval();
  }

  var dateFormats = {};
  function formatDate(day, options) {
    var key = JSON.stringify(options);
    if (!dateFormats[key]) { options.timeZone = "UTC"; dateFormats[key] = new Intl.DateTimeFormat(undefined, options); }
    return dateFormats[key].format(new Date(day.length === 10 ? day + "T00:00:00Z" : day.replace(" ", "T") + "Z"));
  }

  function rangeText(range) {
    if (!Array.isArray(range) || range.length !== 2) { return ""; }
    var a = String(range[0]).slice(0, 10), b = String(range[1]).slice(0, 10);
    var long = { day: "numeric", month: "short", year: "numeric" };
    return a === b ? formatDate(a, long) : formatDate(a, long) + " – " + formatDate(b, long);
  }

  // ---------------------------------------------------------------- formatting

  function duration(seconds) {
    seconds = Math.round(seconds || 0);
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (h > 0) { return number.format(h) + "h " + m + "m"; }
    return m > 0 ? m + "m " + s + "s" : s + "s";
  }

  function formatMetric(name, value) {
    if (value === null || value === undefined) { return "–"; }
    switch (name) {
      case "bounce_rate": return number.format(value) + "%";
      case "conversion_rate": return decimal.format(value) + "%";
      case "visit_duration": return duration(value);
      case "views_per_visit": return decimal.format(value);
      default: return Math.abs(value) >= COMPACT_FROM ? compact.format(value) : number.format(value);
    }
  }

  // A metric into a fixed-width box: shortened when large, with the exact number as the title.
  function showMetric(node, name, value) {
    node.textContent = formatMetric(name, value);
    if (typeof value === "number" && Math.abs(value) >= COMPACT_FROM && name !== "visit_duration") { node.title = number.format(value); } else { node.removeAttribute("title"); }
  }

  function label(dimension, value) {
    value = value === null || value === undefined ? "(not set)" : String(value);
    if (value === "(not set)" && (dimension === "visit:source" || dimension === "visit:referrer")) { return "Direct / None"; }
    try {
      if (dimension === "visit:country" && regions && /^[A-Z]{2}$/.test(value)) { return regions.of(value) || value; }
      if (dimension === "visit:language" && languages && /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(value)) { return languages.of(value) || value; }
    } catch (e) { /* an unknown code stays as it is */ }
    return value;
  }

  function dimensionName(dimension) {
    if (dimension.indexOf("event:props:") === 0) { return "Property " + dimension.slice(12); }
    return NAMES[dimension] || dimension;
  }

  // ---------------------------------------------------------------- UI building

  function buildPanels() {
    var host = $("panels");
    PANELS.forEach(function (p) {
      var article = el("article", "panel");
      article.id = "panel-" + p.id;
      var head = el("div", "panel-head");
      var h2 = el("h2", null, p.title);
      h2.id = "panel-" + p.id + "-title";
      article.setAttribute("aria-labelledby", h2.id);
      head.appendChild(h2);
      if (p.tabs.length > 1) {
        var tabs = el("div", "tabs");
        tabs.setAttribute("role", "group");
        tabs.setAttribute("aria-label", p.title + " views");
        p.tabs.forEach(function (t) {
          var b = el("button", "tab", t.label);
          b.type = "button";
          b.setAttribute("data-tab", t.id);
          b.addEventListener("click", function () { state.tabs[p.id] = t.id; writeUrl(true); loadPanel(p, generation, controller && controller.signal); });
          tabs.appendChild(b);
        });
        head.appendChild(tabs);
      }
      article.appendChild(head);
      if (p.tabs.some(function (t) { return t.propKey; })) {
        var form = el("form", "prop-form");
        form.hidden = true;
        var lab = el("label", "field", "Property ");
        var input = el("input");
        input.type = "text";
        input.className = "prop-key";
        input.maxLength = 100;
        input.placeholder = "e.g. product";
        lab.appendChild(input);
        form.appendChild(lab);
        var ok = el("button", null, "Show");
        ok.type = "submit";
        form.appendChild(ok);
        form.addEventListener("submit", function (e) {
          e.preventDefault();
          state.prop = input.value.trim();
          writeUrl(true);
          loadPanel(p, generation, controller && controller.signal);
        });
        article.appendChild(form);
      }
      var status = el("p", "status");
      status.setAttribute("role", "status");
      article.appendChild(status);
      var table = el("table");
      var thead = el("thead");
      table.appendChild(thead);
      table.appendChild(el("tbody"));
      article.appendChild(table);
      var foot = el("div", "panel-foot");
      var more = el("button", "link details-button", "Details");
      more.type = "button";
      more.addEventListener("click", function () { openDetails(p, more); });
      var csv = el("button", "link csv-button", "CSV");
      csv.type = "button";
      csv.addEventListener("click", function () { downloadCsv(p, activeTab(p), "", csv); });
      foot.appendChild(more);
      foot.appendChild(csv);
      article.appendChild(foot);
      host.appendChild(article);
    });
  }

  function activeTab(p) {
    var usable = p.tabs.filter(function (t) { return !unsupported[t.id]; });
    var chosen = usable.filter(function (t) { return t.id === state.tabs[p.id]; })[0];
    if (chosen) { return chosen; }
    // Goals first when there are goals; otherwise the first tab that works.
    return usable[0] || p.tabs[0];
  }

  function tabDimension(t) { return t.propKey ? "event:props:" + state.prop : t.dimension; }
  function tabMetrics(t) { return t.metrics || ["visitors"]; }
  function tabDetails(t) { return t.details || VISIT_DETAILS; }

  function renderFilters() {
    var host = $("filters");
    host.replaceChildren();
    host.hidden = state.filters.length === 0;
    state.filters.forEach(function (f) {
      var chip = el("button", "chip");
      chip.type = "button";
      chip.setAttribute("data-filter", f[0]);
      chip.appendChild(el("span", "chip-name", dimensionName(f[0]) + " is "));
      chip.appendChild(el("strong", null, label(f[0], f[1])));
      chip.appendChild(el("span", "chip-x", " ✕"));
      chip.setAttribute("aria-label", "Remove filter " + dimensionName(f[0]) + " is " + label(f[0], f[1]));
      chip.title = dimensionName(f[0]) + " is " + label(f[0], f[1]);
      chip.addEventListener("click", function () {
        state.filters = state.filters.filter(function (x) { return x[0] !== f[0]; });
        writeUrl(true);
        refresh();
        var next = document.querySelector("#filters .chip");
        (next || $("totals")).focus();
      });
      host.appendChild(chip);
    });
    if (state.filters.length > 1) {
      var clear = el("button", "link", "Clear all");
      clear.type = "button";
      clear.addEventListener("click", function () { state.filters = []; writeUrl(true); refresh(); $("totals").focus(); });
      host.appendChild(clear);
    }
  }

  function addFilter(dimension, value) {
    setFilter(dimension, value);
    writeUrl(true);
    refresh();
  }

  // ---------------------------------------------------------------- totals

  function loadTotals(gen, signal) {
    var body = { metrics: TOTALS.slice() };
    if (comparing()) { body.include = { comparisons: { mode: state.compare } }; }
    var section = $("totals");
    section.setAttribute("aria-busy", "true");
    return query(body, signal).catch(function (error) {
      // Session metrics may not combine with some filters yet: fall back to the event metrics.
      if (error.status !== 400) { throw error; }
      body.metrics = EVENT_TOTALS.slice();
      return query(body, signal);
    }).then(function (json) {
      if (gen !== generation) { return; }
      section.removeAttribute("aria-busy");
      section.classList.remove("error");
      $("range-label").classList.remove("error");
      var row = json.results && json.results[0] ? json.results[0] : { metrics: [] };
      var names = json.query && json.query.metrics ? json.query.metrics : body.metrics;
      var resolved = json.query && json.query.date_range;
      $("range-label").textContent = (state.period === "all" ? "All time" + (resolved ? ", until " + rangeText([resolved[1], resolved[1]]) : "") : rangeText(resolved)) +
        (json.meta && json.meta.comparison_date_range ? " · compared with " + rangeText(json.meta.comparison_date_range) : "");
      TOTALS.forEach(function (name) {
        var i = names.indexOf(name);
        var value = $("total-" + name);
        var change = $("change-" + name);
        change.replaceChildren();
        change.className = "change";
        change.removeAttribute("title");
        if (i < 0) {
          value.textContent = "–";
          value.title = "Not available with these filters";
          return;
        }
        showMetric(value, name, row.metrics[i] || 0);
        if (row.comparison) { showChange(change, name, row.comparison.change[i], row.comparison.metrics[i]); }
      });
      if (state.filters.length === 0 && !(row.metrics[names.indexOf("visitors")] > 0) && !(row.metrics[names.indexOf("pageviews")] > 0)) { checkNeverRecorded(gen, signal); }
    }, function (error) {
      if (gen !== generation || error.name === "AbortError") { return; }
      section.removeAttribute("aria-busy");
      section.classList.add("error");
      TOTALS.forEach(function (name) { $("total-" + name).textContent = "–"; $("change-" + name).textContent = ""; });
      // The API gave up (its retries of a 503 included): the reason once, at the top, with one button to ask again
      // (rather than a reload); the parts that failed for the same reason just say that they could not load.
      pageError = error.message;
      // Asking again helps when the server or the network failed (5xx, no answer), not when it refused (4xx).
      showMessage("Could not load the statistics: " + error.message, !(error.status >= 400 && error.status < 500));
      $("range-label").textContent = "Could not load the totals.";
      $("range-label").classList.add("error");
      document.querySelectorAll(".error .status").forEach(function (s) { if (s.title === pageError) { s.textContent = couldNotLoad(pageError); } });
      throw error;
    });
  }

  // A site that has recorded nothing at all yet (not only in this range) says so and how hits arrive, rather than a
  // page of zeros (Plausible's "waiting for the first pageview"). Asked only when the range is empty, once per site
  // that turns out to have hits.
  var recorded = {};
  function checkNeverRecorded(gen, signal) {
    var site = state.site;
    if (recorded[site]) { return; }
    api("v2/query", { site_id: site, date_range: "all", metrics: ["events"] }, signal).then(function (json) {
      if (json.results && json.results[0] && json.results[0].metrics[0] > 0) { recorded[site] = true; return; }
      if (gen === generation && site === state.site) {
        showMessage("Nothing has been recorded for " + site + " yet. Hits appear here seconds after the site sends its first one, through the tracker script, the tracking pixel or server-side tracking.");
      }
    }, function () { /* the top row has said what it could */ });
  }

  function showChange(node, metric, change, previous) {
    node.title = (state.compare === "year_over_year" ? "Same period last year: " : "Previous period: ") + formatMetric(metric, previous);
    if (change === null || change === undefined) {
      node.textContent = previous ? "" : "new";
      node.classList.add("flat");
      return;
    }
    var good = metric === "bounce_rate" ? change < 0 : change > 0;
    var arrow = change > 0 ? "↑ " : change < 0 ? "↓ " : "";
    var amount = number.format(Math.abs(change)) + (metric === "bounce_rate" ? " pp" : "%");
    node.classList.add(change === 0 ? "flat" : good ? "up" : "down");
    // What a screen reader says is text, not an aria-label: ARIA prohibits naming a paragraph, and a paragraph is read
    // by its content (the arrow and the number) whatever its label.
    var shown = el("span", null, arrow + amount);
    shown.setAttribute("aria-hidden", "true");
    node.replaceChildren(shown, el("span", "sr-only", (change > 0 ? "up " : change < 0 ? "down " : "unchanged ") + amount + " against " + (state.compare === "year_over_year" ? "last year" : "the previous period")));
  }

  // ---------------------------------------------------------------- chart

  function fillIntervals() {
    var select = $("interval");
    var choices = intervalChoices();
    var current = currentInterval();
    select.replaceChildren();
    choices.forEach(function (c) {
      var o = el("option", null, { hour: "Hours", day: "Days", week: "Weeks", month: "Months" }[c]);
      o.value = c;
      o.selected = c === current;
      select.appendChild(o);
    });
    select.disabled = choices.length < 2;
  }

  function loadChart(gen, signal) {
    var interval = currentInterval();
    var body = { metrics: ["visitors", "pageviews"], dimensions: ["time:" + interval], include: { time_labels: true } };
    $("chart-status").textContent = "Loading…";
    $("chart-status").removeAttribute("title");
    $("chart").parentNode.classList.remove("error");
    $("chart").setAttribute("aria-busy", "true");
    var previousQuery = function (previousRange) {
      return query({ metrics: ["visitors", "pageviews"], dimensions: ["time:" + interval], include: { time_labels: true }, date_range: previousRange }, signal)
        .then(function (p) { return series(p.meta && p.meta.time_labels ? p.meta.time_labels : [], p.results); })
        .catch(function (error) { if (error.name === "AbortError") { throw error; } return null; });
    };
    // The compared period is asked at the same time as the current one (no waterfall), from the range the API is
    // expected to resolve; should the API's answer differ (a zone not known yet), it is asked again.
    var guessedRange = comparisonRange(expectedRange());
    var early = guessedRange ? previousQuery(guessedRange) : null;
    if (early) { early.catch(function () { return null; }); }
    return query(body, signal).then(function (json) {
      if (gen !== generation) { return null; }
      var labels = json.meta && json.meta.time_labels && json.meta.time_labels.length ? json.meta.time_labels : (json.results || []).map(function (r) { return String(r.dimensions[0]); });
      // All time starts at the first bucket with hits, not at the API's 2000-01-01 (decades of zeros).
      if (state.period === "all") {
        var first = (json.results || []).reduce(function (m, r) { var l = String(r.dimensions[0]); return m === null || l < m ? l : m; }, null);
        if (first !== null) { labels = labels.filter(function (l) { return l >= first; }); }
      }
      var current = series(labels, json.results);
      var range = json.query && json.query.date_range;
      var now = siteNowLabel(json.query && json.query.time_zone);
      // Buckets after "now" (the rest of Today) are not zero, they have not happened yet.
      labels.forEach(function (l, i) { if (l > now) { current.visitors[i] = null; current.pageviews[i] = null; } });
      var previousRange = comparisonRange(range);
      var previous = !previousRange ? Promise.resolve(null)
        : early && guessedRange[0] === previousRange[0] && guessedRange[1] === previousRange[1] ? early
        : previousQuery(previousRange);
      return previous.then(function (prev) {
        if (gen !== generation) { return; }
        $("chart").removeAttribute("aria-busy");
        $("chart").parentNode.classList.remove("error");
        $("chart-status").textContent = "";
        $("chart-status").removeAttribute("title");
        chartData = { labels: labels, current: current, previous: prev, interval: interval, days: rangeDays(), partial: partialBucket(labels, range, now) };
        drawChart();
      });
    }, function (error) {
      if (gen !== generation || error.name === "AbortError") { return; }
      $("chart").removeAttribute("aria-busy");
      $("chart").parentNode.classList.add("error");
      $("chart-status").textContent = couldNotLoad(error.message);
      $("chart-status").title = error.message;
      throw error;
    });
  }

  // The bucket that contains "now" (today, this week, this hour) is still filling up: its index, or -1.
  function partialBucket(labels, range, now) {
    var end = Array.isArray(range) && range.length === 2 ? String(range[1]).slice(0, 10) : "";
    for (var i = labels.length - 1; i >= 0; i--) {
      if (labels[i] <= now) {
        var next = i + 1 < labels.length ? labels[i + 1] : null;
        return (next !== null ? next > now : end >= now.slice(0, 10)) ? i : -1;
      }
    }
    return -1;
  }

  function series(labels, results) {
    var byKey = {};
    (results || []).forEach(function (r) { byKey[String(r.dimensions[0])] = r.metrics; });
    return {
      labels: labels,
      visitors: labels.map(function (l) { return byKey[l] ? byKey[l][0] : 0; }),
      pageviews: labels.map(function (l) { return byKey[l] ? byKey[l][1] : 0; }),
    };
  }

  // All time has nothing before it to compare with (the API starts it at 2000-01-01, so "the previous period" would
  // be 1973-1999, and every change "new"), as in Plausible.
  function comparing() { return state.compare !== "off" && state.period !== "all"; }

  function comparisonRange(range) {
    if (!comparing() || !Array.isArray(range) || range.length !== 2) { return null; }
    var from = String(range[0]).slice(0, 10), to = String(range[1]).slice(0, 10);
    if (state.compare === "year_over_year") { return [addYears(from, -1), addYears(to, -1)]; }
    var n = dayCount(from, to);
    return [addDays(from, -n), addDays(from, -1)];
  }

  function bucketTime(value) {
    // "yyyy-MM-dd", "yyyy-MM-dd HH:00:00": the site's local time, drawn as if it were UTC.
    return Date.parse(value.length === 10 ? value + "T00:00:00Z" : value.replace(" ", "T") + "Z") / 1000;
  }

  function tickFormat(interval, days) {
    if (interval === "hour") { return days <= 1 ? { hour: "2-digit", minute: "2-digit" } : { day: "numeric", month: "short", hour: "2-digit" }; }
    if (interval === "month") { return { month: "short", year: "numeric" }; }
    return { day: "numeric", month: "short" };
  }

  function bucketText(label, interval) {
    if (interval === "hour") { return formatDate(label, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }); }
    if (interval === "month") { return formatDate(label, { month: "long", year: "numeric" }); }
    if (interval === "week") { return "Week of " + formatDate(label, { day: "numeric", month: "short", year: "numeric" }); }
    return formatDate(label, { weekday: "short", day: "numeric", month: "short", year: "numeric" });
  }

  // Ticks on whole buckets only (uPlot would otherwise put several ticks inside one day), thinned to fit.
  function bucketSplits(u) {
    var xs = u.data[0];
    var room = Math.max(2, Math.floor(u.bbox.width / (window.devicePixelRatio || 1) / 80));
    var step = Math.max(1, Math.ceil(xs.length / room));
    return xs.filter(function (x, i) { return i % step === 0; });
  }

  // Tick steps of the count axis: 1, 2, 5, 10, 20, 25, 50, … up to 5e12.
  var COUNT_STEPS = [];
  for (var step = 1; step <= 1e12; step *= 10) { COUNT_STEPS.push(step, 2 * step, 2.5 * step, 5 * step); }
  COUNT_STEPS.splice(2, 1); // no 2.5

  function cssVar(name, fallback) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback; }

  function drawChart() {
    var host = $("chart");
    if (!chartData) { return; }
    if (typeof uPlot !== "function") { host.textContent = "Chart unavailable."; return; }
    var d = chartData;
    var accent = cssVar("--accent", "#0b5cad"), accent2 = cssVar("--accent2", "#d9822b");
    var muted = cssVar("--muted", "#5b6475"), line = cssVar("--line", "#e3e6eb"), fill = cssVar("--fill", "rgba(11,92,173,.08)");
    var width = Math.max(260, host.clientWidth);
    if (chart) { chart.destroy(); chart = null; }
    host.replaceChildren();
    // The bucket still filling up is drawn dashed (a separate series from the bucket before it), not as a drop.
    var p = d.partial > 0 ? d.partial : -1;
    var solid = function (arr) { return p < 0 ? arr : arr.map(function (v, i) { return i === p ? null : v; }); };
    var dashed = function (arr) { return arr.map(function (v, i) { return i === p || i === p - 1 ? v : null; }); };
    var data = [d.labels.map(bucketTime), solid(d.current.visitors), solid(d.current.pageviews)];
    var fmtValue = function (u, v) { return v == null ? "–" : number.format(v); };
    var fmtCurrent = function (arr) { return function (u, v, si, idx) { return fmtValue(u, v == null && idx === p ? arr[idx] : v); }; };
    var points = { show: d.labels.length < 40 };
    var s = [
      { label: "Date", value: function (u, v) { return v == null ? "–" : bucketText(d.labels[u.valToIdx(v)] || "", d.interval); } },
      { label: "Visitors", stroke: accent, width: 2, fill: fill, points: points, value: fmtCurrent(d.current.visitors) },
      { label: "Pageviews", stroke: accent2, width: 2, points: points, value: fmtCurrent(d.current.pageviews) },
    ];
    if (d.previous) {
      var pick = function (arr) { return d.labels.map(function (l, i) { return i < arr.length ? arr[i] : null; }); };
      data.push(pick(d.previous.visitors), pick(d.previous.pageviews));
      var prevName = state.compare === "year_over_year" ? " (last year)" : " (previous)";
      s.push({ label: "Visitors" + prevName, stroke: accent, width: 1.5, dash: [6, 5], alpha: 0.55, points: { show: false }, value: fmtValue });
      s.push({ label: "Pageviews" + prevName, stroke: accent2, width: 1.5, dash: [6, 5], alpha: 0.55, points: { show: false }, value: fmtValue });
    }
    var hiddenLegend = [];
    if (p > 0) {
      data.push(dashed(d.current.visitors), dashed(d.current.pageviews));
      hiddenLegend.push(s.length, s.length + 1);
      s.push({ label: "Visitors (so far)", stroke: accent, width: 2, dash: [4, 4], points: points, value: fmtValue });
      s.push({ label: "Pageviews (so far)", stroke: accent2, width: 2, dash: [4, 4], points: points, value: fmtValue });
    }
    var fmt = tickFormat(d.interval, d.days);
    var axis = { stroke: muted, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
    chart = new uPlot({
      width: width,
      height: 260,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.1]; } } },
      axes: [
        Object.assign({}, axis, { splits: bucketSplits, values: function (u, splits) { return splits.map(function (v) { return formatDate(new Date(v * 1000).toISOString().slice(0, 19).replace("T", " "), Object.assign({}, fmt)); }); } }),
        // Whole numbers only (no "0.2 visitors"), shortened from 1,000 ("20K") so that they fit the axis.
        Object.assign({}, axis, { size: 56, incrs: COUNT_STEPS, values: function (u, splits) { yTicks = splits.slice(); return splits.map(function (v) { return v >= 1000 ? compact.format(v) : number.format(v); }); } }),
      ],
      series: s,
    }, data, host);
    var legendRows = host.querySelectorAll(".u-legend .u-series");
    hiddenLegend.forEach(function (i) { if (legendRows[i]) { legendRows[i].hidden = true; } });
    host.setAttribute("data-points", String(d.labels.length));
  }

  // ---------------------------------------------------------------- panels

  // The details search ignores case (Plausible's {"case_sensitive": false}); an API without the modifier gets a plain contains.
  var caseModifier = true;
  function panelQuery(t, metrics, limit, offset, search, signal, accept) {
    var dimension = tabDimension(t);
    var body = function () { return { metrics: metrics, dimensions: [dimension], pagination: { limit: limit, offset: offset || 0 } }; };
    var searchFilter = function (folded) { return search ? (folded ? ["contains", dimension, [search], { case_sensitive: false }] : ["contains", dimension, [search]]) : null; };
    return query(body(), signal, [t.extraFilter, searchFilter(search && caseModifier)], accept).catch(function (error) {
      if (!search || !caseModifier || error.status !== 400 || error.field !== "filters") { throw error; }
      caseModifier = false;
      return query(body(), signal, [t.extraFilter, searchFilter(false)], accept);
    });
  }

  // Views the API may not offer yet (goals, event properties) are asked once per site; a 400 hides them. The tab a
  // panel shows is its own probe (its query's 400 hides it, see loadPanel); the other tabs are probed only after
  // everything on the page has loaded, so the probes never delay the numbers.
  var probed = {}; // asked (or being asked)
  var known = {};  // answered: offered, or in unsupported
  function probeOptional(gen, signal) {
    var work = [];
    PANELS.forEach(function (p) {
      var shown = activeTab(p);
      p.tabs.filter(function (t) { return t.optional && t !== shown && !probed[state.site + " " + t.id]; }).forEach(function (t) {
        probed[state.site + " " + t.id] = true;
        var dimension = t.propKey ? "event:props:_" : t.dimension;
        work.push(api("v2/query", { site_id: state.site, date_range: "day", metrics: tabMetrics(t), dimensions: [dimension], pagination: { limit: 1, offset: 0 } }, signal)
          .then(function () { delete unsupported[t.id]; known[state.site + " " + t.id] = true; }, function (error) {
            if (error.status === 400) { unsupported[t.id] = true; known[state.site + " " + t.id] = true; } else { delete probed[state.site + " " + t.id]; }
          })
          .then(function () { if (gen === generation) { showTabs(p, activeTab(p)); } }));
      });
    });
    return Promise.all(work);
  }

  // A tab is hidden while the API is known not to offer it, and an optional one also until its probe has answered
  // (so a tab appears late rather than disappearing under the pointer).
  function showTabs(p, t) {
    $("panel-" + p.id).querySelectorAll(".tab").forEach(function (b) {
      var id = b.getAttribute("data-tab");
      var tab = p.tabs.filter(function (x) { return x.id === id; })[0];
      b.hidden = !!unsupported[id] || (id !== t.id && tab && tab.optional && !known[state.site + " " + id]);
      b.setAttribute("aria-pressed", String(id === t.id));
    });
  }

  function loadPanel(p, gen, signal) {
    var article = $("panel-" + p.id);
    article.hidden = p.tabs.every(function (t) { return unsupported[t.id]; });
    if (article.hidden) { return Promise.resolve(); }
    var t = activeTab(p);
    if (t.optional) { probed[state.site + " " + t.id] = true; }
    showTabs(p, t);
    article.setAttribute("data-tab", t.id);
    var propForm = article.querySelector(".prop-form");
    if (propForm) {
      propForm.hidden = !t.propKey;
      article.querySelector(".prop-key").value = state.prop;
    }
    var status = article.querySelector(".status");
    var tbody = article.querySelector("tbody");
    var metrics = tabMetrics(t);
    header(article.querySelector("thead"), t, metrics);
    article.classList.add("loading");
    article.classList.remove("error");
    article.removeAttribute("data-loaded");
    status.textContent = "Loading…";
    status.removeAttribute("title");
    article.setAttribute("aria-busy", "true");
    // Without a property name, a one-row probe finds out whether the API knows event:props at all.
    var probe = t.propKey && !state.prop;
    var ask = probe
      ? query({ metrics: metrics, dimensions: ["event:props:_"], pagination: { limit: 1, offset: 0 } }, signal)
      : panelQuery(t, metrics, 10, 0, "", signal);
    return ask.then(function (json) {
      if (gen !== generation) { return; }
      article.classList.remove("loading");
      if (probe) {
        tbody.replaceChildren();
        status.textContent = "Type the name of an event property.";
        return;
      }
      article.removeAttribute("aria-busy");
      status.textContent = "";
      if (t.optional) { known[state.site + " " + t.id] = true; }
      renderRows(tbody, t, metrics, json.results || [], true);
      article.setAttribute("data-loaded", "true");
    }, function (error) {
      if (gen !== generation || error.name === "AbortError") { return; }
      article.classList.remove("loading");
      article.removeAttribute("aria-busy");
      // A view the API does not offer (goals, properties on an older API) is hidden rather than broken.
      if (error.status === 400 && t.optional && (error.field === "dimensions" || error.field === "metrics" || state.filters.length === 0)) {
        unsupported[t.id] = true;
        if (p.tabs.some(function (x) { return !unsupported[x.id]; })) { return loadPanel(p, gen, signal); }
        article.hidden = true;
        return undefined;
      }
      article.classList.add("error");
      tbody.replaceChildren();
      status.textContent = error.status === 400 && state.filters.length > 0
        ? "Not available with the current filters."
        : couldNotLoad(error.message);
      status.title = error.message;
      return undefined;
    });
  }

  function header(thead, t, metrics) {
    thead.replaceChildren();
    var tr = el("tr");
    tr.appendChild(el("th", null, dimensionName(tabDimension(t))));
    metrics.forEach(function (m) { tr.appendChild(el("th", "num", METRIC_NAMES[m] || m)); });
    thead.appendChild(tr);
  }

  function renderRows(tbody, t, metrics, rows, bars, search) {
    tbody.replaceChildren();
    var dimension = tabDimension(t);
    if (rows.length === 0) {
      var tr0 = el("tr");
      // Say why there is nothing: the search, the filters, or the period itself.
      var td0 = el("td", "empty", search ? "Nothing matches the search" : state.filters.length > 0 ? "No data for these filters in this period" : "No data for this period");
      td0.colSpan = metrics.length + 1;
      tr0.appendChild(td0);
      tbody.appendChild(tr0);
      return;
    }
    var max = rows.reduce(function (m, r) { return Math.max(m, r.metrics[0] || 0); }, 0) || 1;
    rows.forEach(function (r) {
      var raw = r.dimensions[0] === null || r.dimensions[0] === undefined ? "(not set)" : String(r.dimensions[0]);
      var tr = el("tr");
      var name = el("td", "label");
      if (bars) { name.style.backgroundSize = Math.max(1, Math.round(100 * (r.metrics[0] || 0) / max)) + "% 100%"; }
      var button = el("button", "row-filter", label(dimension, raw));
      button.type = "button";
      button.title = "Filter by " + dimensionName(dimension) + " " + raw;
      button.setAttribute("data-value", raw);
      button.addEventListener("click", function () {
        if ($("details").open) { closeDetails(); }
        addFilter(dimension, raw);
        $("totals").focus();
      });
      name.appendChild(button);
      tr.appendChild(name);
      metrics.forEach(function (m, i) { var td = el("td", "num"); showMetric(td, m, r.metrics[i]); tr.appendChild(td); });
      // The whole row is a target for a pointer; the button is the target for the keyboard.
      tr.addEventListener("click", function (e) { if (e.target === tr || e.target.tagName === "TD") { button.click(); } });
      tbody.appendChild(tr);
    });
  }

  // ---------------------------------------------------------------- details

  function openDetails(p, opener) {
    var t = activeTab(p);
    details = { panel: p, tab: t, page: 0, search: "", opener: opener, gen: details.gen + 1 };
    $("details-title").textContent = p.title + ": " + t.label;
    $("details-search").value = "";
    var dialog = $("details");
    if (typeof dialog.showModal === "function") { dialog.showModal(); } else { dialog.setAttribute("open", ""); }
    $("details-search").focus();
    loadDetails();
  }

  function closeDetails() {
    var dialog = $("details");
    if (dialog.open) { dialog.close(); }
  }

  function loadDetails() {
    var t = details.tab;
    var gen = ++details.gen;
    var metrics = tabDetails(t);
    header($("details-table").querySelector("thead"), t, metrics);
    var status = $("details-status");
    status.textContent = "Loading…";
    $("details").setAttribute("aria-busy", "true");
    return panelQuery(t, metrics, DETAILS_PAGE + 1, details.page * DETAILS_PAGE, details.search).then(function (json) {
      if (gen !== details.gen) { return; }
      $("details").removeAttribute("aria-busy");
      var rows = json.results || [];
      var more = rows.length > DETAILS_PAGE;
      renderRows($("details-table").querySelector("tbody"), t, metrics, rows.slice(0, DETAILS_PAGE), false, details.search);
      $("details-table").style.setProperty("--metrics", String(metrics.length));
      status.textContent = "";
      $("details-prev").disabled = details.page === 0;
      $("details-next").disabled = !more;
      $("details-page").textContent = rows.length === 0 ? "" : "Rows " + number.format(details.page * DETAILS_PAGE + 1) + "–" + number.format(details.page * DETAILS_PAGE + Math.min(rows.length, DETAILS_PAGE));
    }, function (error) {
      if (gen !== details.gen) { return; }
      $("details").removeAttribute("aria-busy");
      $("details-table").querySelector("tbody").replaceChildren();
      status.textContent = "Could not load: " + error.message;
    });
  }

  // ---------------------------------------------------------------- CSV

  // The panel's query as the API's own CSV (?format=csv: RFC 4180 quoting, and text a spreadsheet would run as a
  // formula prefixed with ', see docs/query-api.md), saved with a byte-order mark so Excel reads it as UTF-8.
  function downloadCsv(p, t, search, button) {
    var metrics = tabDetails(t);
    var dimension = tabDimension(t);
    if (button) { button.disabled = true; }
    return panelQuery(t, metrics, CSV_LIMIT, 0, search, undefined, "text/csv").then(function (csv) {
      var days = expectedRange();
      var range = days ? days[0] + "_" + days[1] : state.period;
      var name = (state.site + "_" + dimension + "_" + range).replace(/[^A-Za-z0-9._-]+/g, "_") + ".csv";
      var blob = new Blob(["\uFEFF" + csv], { type: "text/csv;charset=utf-8" });
      var a = el("a");
      a.href = URL.createObjectURL(blob);
      a.download = name;
      a.hidden = true;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }).catch(function (error) {
      showMessage("Could not download the CSV: " + error.message);
    }).then(function () { if (button) { button.disabled = false; } });
  }

  // ---------------------------------------------------------------- realtime, refresh, start

  // The reason the top row could not load, shown once in the page's message; a part that failed for the same
  // reason says only that it could not load (the reason stays in its title).
  var pageError = "";
  function couldNotLoad(message) { return message === pageError ? "Could not load." : "Could not load: " + message; }

  // The page's message line; with retry, a "Try again" button that reloads every part of the page.
  function showMessage(text, retry) {
    var m = $("message");
    m.textContent = text || "";
    m.hidden = !text;
    if (text && retry) {
      var again = el("button", "retry", "Try again");
      again.type = "button";
      again.addEventListener("click", function () { refresh(); $("totals").focus(); });
      m.appendChild(document.createTextNode(" "));
      m.appendChild(again);
    }
  }

  function loadRealtime() {
    if (!state.site) { return; }
    api("realtime?site_id=" + encodeURIComponent(state.site)).then(function (json) {
      var n = json.visitors || 0;
      $("realtime").textContent = number.format(n);
      $("realtime-label").textContent = (plural ? plural.select(n) : n === 1 ? "one" : "other") === "one" ? "current visitor" : "current visitors";
    }).catch(function () { $("realtime").textContent = "–"; });
  }

  function syncControls() {
    document.querySelectorAll("#periods button[data-period]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-period") === state.period));
    });
    var more = $("period-more");
    more.value = more.querySelector("option[value='" + state.period + "']") ? state.period : "";
    more.classList.toggle("active", more.value !== "");
    $("compare").value = state.compare;
    $("compare").disabled = state.period === "all";
    $("compare").title = state.period === "all" ? "All time is not compared with anything" : "";
    if (state.period === "custom") { $("custom-from").value = state.from; $("custom-to").value = state.to; }
    fillIntervals();
    renderFilters();
  }

  function refresh() {
    var gen = ++generation;
    if (controller) { controller.abort(); }
    controller = typeof AbortController === "function" ? new AbortController() : null;
    var signal = controller ? controller.signal : undefined;
    syncControls();
    if (!state.site) { showMessage("No site is configured; add ?site=your.site to the address."); return; }
    showMessage("");
    pageError = "";
    document.body.removeAttribute("data-loaded");
    // Every query starts now, in parallel, the top row and the chart first: over HTTP/1.1 the browser opens at most
    // 6 connections to the server and queues the rest in the order they were asked. The current-visitors count
    // waits for the top row, and the probes of tabs not shown wait for everything.
    var totals = loadTotals(gen, signal).catch(function () { return null; });
    var chartDone = loadChart(gen, signal).catch(function () { return null; });
    var work = [totals, chartDone];
    // The panels start once the top row and the chart have answered (or after PANEL_DELAY ms at most): the server
    // has a few cores, and the top row is what is read first.
    var topFirst = new Promise(function (resolve) {
      Promise.all([totals, chartDone]).then(resolve);
      setTimeout(resolve, PANEL_DELAY);
    });
    PANELS.forEach(function (p) {
      var article = $("panel-" + p.id);
      article.classList.add("loading");
      article.setAttribute("aria-busy", "true");
      article.querySelector(".status").textContent = "Loading…";
      work.push(topFirst.then(function () { return gen === generation ? loadPanel(p, gen, signal) : undefined; }));
    });
    Promise.all(work).then(function () {
      if (gen !== generation) { return; }
      document.body.setAttribute("data-loaded", "true");
      probeOptional(gen, signal);
    });
    clearInterval(realtimeTimer);
    totals.then(function () {
      if (gen !== generation) { return; }
      loadRealtime();
      realtimeTimer = setInterval(loadRealtime, 30000);
    });
  }

  function fillSites() {
    var select = $("site");
    select.replaceChildren();
    var ids = sites.map(function (s) { return s.id; });
    if (state.site && ids.indexOf(state.site) < 0) { ids.unshift(state.site); }
    if (!state.site && ids.length > 0) { state.site = ids[0]; }
    ids.forEach(function (id) {
      var option = el("option", null, id);
      option.value = id;
      option.selected = id === state.site;
      select.appendChild(option);
    });
    select.disabled = ids.length < 2;
  }

  function setPeriod(period) {
    state.period = period;
    $("custom-range").hidden = true;
    $("custom-toggle").setAttribute("aria-expanded", "false");
    writeUrl(true);
    refresh();
  }

  function start() {
    readUrl();
    buildPanels();
    $("site").addEventListener("change", function (e) { state.site = e.target.value; state.filters = []; writeUrl(true); refresh(); });
    document.querySelectorAll("#periods button[data-period]").forEach(function (b) {
      var period = b.getAttribute("data-period");
      if (period === "custom") {
        b.addEventListener("click", function () {
          var form = $("custom-range");
          form.hidden = !form.hidden;
          b.setAttribute("aria-expanded", String(!form.hidden));
          if (!form.hidden) {
            if (!$("custom-to").value) { $("custom-to").value = siteToday(); }
            if (!$("custom-from").value) { $("custom-from").value = addDays(siteToday(), -13); }
            $("custom-from").focus();
          }
        });
      } else {
        b.addEventListener("click", function () { setPeriod(period); });
      }
    });
    $("period-more").addEventListener("change", function (e) { if (e.target.value) { setPeriod(e.target.value); } });
    $("custom-range").addEventListener("submit", function (e) {
      e.preventDefault();
      var a = $("custom-from").value, b = $("custom-to").value;
      if (!isoDate(a) || !isoDate(b)) { return; }
      state.from = a < b ? a : b;
      state.to = a < b ? b : a;
      setPeriod("custom");
    });
    $("compare").addEventListener("change", function (e) { state.compare = e.target.value; writeUrl(true); refresh(); });
    $("interval").addEventListener("change", function (e) {
      state.interval = e.target.value;
      writeUrl(true);
      var gen = generation;
      loadChart(gen, controller && controller.signal).catch(function () { return null; });
    });
    $("details-close").addEventListener("click", closeDetails);
    $("details").addEventListener("close", function () {
      details.gen++;
      if (details.opener && document.contains(details.opener)) { details.opener.focus(); }
    });
    // Escape closes the dialog even from the search box (where Chromium would only clear the text).
    $("details").addEventListener("keydown", function (e) { if (e.key === "Escape") { e.preventDefault(); closeDetails(); } });
    // A click on the backdrop (outside the dialog box) closes it.
    $("details").addEventListener("click", function (e) { if (e.target === $("details")) { closeDetails(); } });
    var searchTimer = 0;
    $("details-search").addEventListener("input", function (e) {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(function () { details.search = e.target.value.trim(); details.page = 0; loadDetails(); }, 250);
    });
    $("details-search-form").addEventListener("submit", function (e) { e.preventDefault(); details.search = $("details-search").value.trim(); details.page = 0; loadDetails(); });
    $("details-prev").addEventListener("click", function () { if (details.page > 0) { details.page--; loadDetails(); } });
    $("details-next").addEventListener("click", function () { details.page++; loadDetails(); });
    $("details-csv").addEventListener("click", function (e) { downloadCsv(details.panel, details.tab, details.search, e.target); });
    window.addEventListener("popstate", function () { readUrl(); fillSites(); refresh(); });
    var resizeTimer = 0;
    var resize = function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () {
        var width = Math.max(260, $("chart").clientWidth);
        if (chart && chart.width !== width) { chart.setSize({ width: width, height: 260 }); }
      }, 100);
    };
    if (typeof ResizeObserver === "function") { new ResizeObserver(resize).observe($("chart")); }
    window.addEventListener("resize", resize);
    if (window.matchMedia) {
      var scheme = window.matchMedia("(prefers-color-scheme: dark)");
      var redraw = function () { drawChart(); };
      if (scheme.addEventListener) { scheme.addEventListener("change", redraw); }
    }
    // With the site in the address the queries start at once, and the site list (for the picker and the site's
    // time zone) arrives alongside; without it, or for "yesterday" (a date in the site's zone), they wait for it.
    // The site list is asked first, so it is not queued behind the queries for a connection.
    var early = state.site && state.period !== "yesterday";
    var siteList = api("sites").then(function (json) { return json.sites || []; }).catch(function () { return []; });
    if (early) { fillSites(); refresh(); }
    siteList.then(function (list) {
      sites = list;
      fillSites();
      if (state.site) { writeUrl(false); }
      if (!early) { refresh(); }
    });
  }

  // Read-only hook for the browser tests: the data the chart was drawn from, and the ticks of its count axis.
  window.FrancisBeaconDashboard = { chartData: function () { return chartData; }, yTicks: function () { return yTicks; } };

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
