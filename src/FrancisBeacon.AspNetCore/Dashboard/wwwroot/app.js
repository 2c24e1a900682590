// FrancisBeacon dashboard: a thin client of POST api/v2/query and GET api/realtime (see docs/dashboard.md).
// Every piece of data reaches the page through textContent, never innerHTML.
(function () {
  "use strict";

  var PERIODS = ["day", "7d", "30d", "month", "12mo"];
  var TOTALS = ["visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"];
  var number = new Intl.NumberFormat(undefined);
  var decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  var regions = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames(undefined, { type: "region" }) : null;
  var state = { site: "", period: "30d" };
  var chart = null;
  var realtimeTimer = 0;
  var generation = 0;

  function $(id) { return document.getElementById(id); }

  function readUrl() {
    var params = new URLSearchParams(location.search);
    state.site = params.get("site") || "";
    var period = params.get("period");
    state.period = PERIODS.indexOf(period) >= 0 ? period : "30d";
  }

  function writeUrl(push) {
    var params = new URLSearchParams(location.search);
    params.set("site", state.site);
    params.set("period", state.period);
    var url = location.pathname + "?" + params.toString();
    if (push) { history.pushState(null, "", url); } else { history.replaceState(null, "", url); }
  }

  function showMessage(text) {
    var el = $("message");
    el.textContent = text || "";
    el.hidden = !text;
  }

  function api(path, body) {
    var init = body === undefined
      ? { headers: { Accept: "application/json" }, credentials: "same-origin" }
      : { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body), credentials: "same-origin" };
    return fetch("api/" + path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) { throw new Error(json.error || ("HTTP " + response.status)); }
        return json;
      });
    });
  }

  function query(metrics, dimensions, limit) {
    var body = { site_id: state.site, metrics: metrics, date_range: state.period };
    if (dimensions) { body.dimensions = dimensions; }
    if (limit) { body.pagination = { limit: limit, offset: 0 }; }
    return api("v2/query", body);
  }

  function duration(seconds) {
    seconds = Math.round(seconds || 0);
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m > 0 ? m + "m " + s + "s" : s + "s";
  }

  function formatMetric(name, value) {
    if (value === null || value === undefined) { return "–"; }
    switch (name) {
      case "bounce_rate": return number.format(value) + "%";
      case "visit_duration": return duration(value);
      case "views_per_visit": return decimal.format(value);
      default: return number.format(value);
    }
  }

  function label(dimension, value) {
    if (dimension === "visit:country" && regions && /^[A-Z]{2}$/.test(value)) {
      try { return regions.of(value) || value; } catch (e) { return value; }
    }
    return value;
  }

  function loadTotals(gen) {
    return query(TOTALS).then(function (json) {
      if (gen !== generation) { return; }
      var row = json.results && json.results[0] ? json.results[0].metrics : [];
      TOTALS.forEach(function (name, i) { $("total-" + name).textContent = formatMetric(name, row[i] || 0); });
    });
  }

  function loadPanel(panel, gen) {
    var dimension = panel.getAttribute("data-dimension");
    var metric = panel.getAttribute("data-metric");
    return query([metric], [dimension], 10).then(function (json) {
      if (gen !== generation) { return; }
      var body = panel.querySelector("tbody");
      body.replaceChildren();
      var rows = json.results || [];
      var max = rows.reduce(function (m, r) { return Math.max(m, r.metrics[0]); }, 0) || 1;
      if (rows.length === 0) {
        var tr = document.createElement("tr");
        var td = document.createElement("td");
        td.colSpan = 2;
        td.className = "empty";
        td.textContent = "No data yet";
        tr.appendChild(td);
        body.appendChild(tr);
        return;
      }
      rows.forEach(function (r) {
        var tr = document.createElement("tr");
        var name = document.createElement("td");
        name.className = "label";
        name.textContent = label(dimension, String(r.dimensions[0]));
        name.title = String(r.dimensions[0]);
        name.style.backgroundSize = Math.max(1, Math.round(100 * r.metrics[0] / max)) + "% 100%";
        var value = document.createElement("td");
        value.textContent = formatMetric(metric, r.metrics[0]);
        tr.appendChild(name);
        tr.appendChild(value);
        body.appendChild(tr);
      });
    });
  }

  function bucketTime(value) {
    // "yyyy-MM-dd", "yyyy-MM-dd HH:00:00": the site's local time, drawn as if it were UTC.
    var t = Date.parse(value.length === 10 ? value + "T00:00:00Z" : value.replace(" ", "T") + "Z");
    return t / 1000;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // Every bucket of the range, in the API's format, so days without hits are drawn as zero.
  function buckets(range) {
    var from = String(range[0]).slice(0, 10), to = String(range[1]).slice(0, 10);
    var d = new Date(from + "T00:00:00Z"), end = new Date(to + "T00:00:00Z"), keys = [];
    var day = function (x) { return x.getUTCFullYear() + "-" + pad(x.getUTCMonth() + 1) + "-" + pad(x.getUTCDate()); };
    if (state.period === "day") {
      for (var h = 0; h < 24; h++) { keys.push(day(d) + " " + pad(h) + ":00:00"); }
    } else if (state.period === "12mo") {
      d.setUTCDate(1);
      while (d <= end && keys.length < 400) { keys.push(day(d)); d.setUTCMonth(d.getUTCMonth() + 1); }
    } else {
      while (d <= end && keys.length < 400) { keys.push(day(d)); d.setUTCDate(d.getUTCDate() + 1); }
    }
    return keys;
  }

  function loadChart(gen) {
    return query(["visitors", "pageviews"], ["time"]).then(function (json) {
      if (gen !== generation) { return; }
      var byKey = {};
      (json.results || []).forEach(function (r) { byKey[String(r.dimensions[0])] = r.metrics; });
      var range = json.query && json.query.date_range;
      var keys = Array.isArray(range) && range.length === 2 ? buckets(range) : Object.keys(byKey).sort();
      Object.keys(byKey).forEach(function (k) { if (keys.indexOf(k) < 0) { keys.push(k); } });
      keys.sort();
      var data = [[], [], []];
      keys.forEach(function (k) {
        var m = byKey[k] || [0, 0];
        data[0].push(bucketTime(k));
        data[1].push(m[0]);
        data[2].push(m[1]);
      });
      drawChart(data);
    });
  }

  function drawChart(data) {
    var host = $("chart");
    if (typeof uPlot !== "function") { host.textContent = "Chart unavailable."; return; }
    var styles = getComputedStyle(document.documentElement);
    var accent = styles.getPropertyValue("--accent").trim() || "#0b5cad";
    var accent2 = styles.getPropertyValue("--accent2").trim() || "#d9822b";
    var muted = styles.getPropertyValue("--muted").trim() || "#5b6475";
    var line = styles.getPropertyValue("--line").trim() || "#e3e6eb";
    var width = Math.max(260, host.clientWidth);
    if (chart) { chart.destroy(); chart = null; }
    host.replaceChildren();
    var axis = { stroke: muted, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
    chart = new uPlot({
      width: width,
      height: 260,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.1]; } } },
      axes: [
        Object.assign({}, axis),
        Object.assign({}, axis, { values: function (u, splits) { return splits.map(function (v) { return number.format(v); }); } }),
      ],
      series: [
        {},
        { label: "Visitors", stroke: accent, width: 2, fill: "rgba(11, 92, 173, 0.08)", points: { show: data[0].length < 40 }, value: function (u, v) { return v == null ? "–" : number.format(v); } },
        { label: "Pageviews", stroke: accent2, width: 2, points: { show: data[0].length < 40 }, value: function (u, v) { return v == null ? "–" : number.format(v); } },
      ],
    }, data, host);
  }

  function loadRealtime() {
    if (!state.site) { return; }
    api("realtime?site_id=" + encodeURIComponent(state.site)).then(function (json) {
      $("realtime").textContent = number.format(json.visitors || 0);
    }).catch(function () { $("realtime").textContent = "–"; });
  }

  function refresh() {
    var gen = ++generation;
    document.querySelectorAll("#periods button").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-period") === state.period));
    });
    if (!state.site) { showMessage("No site is configured; add ?site=your.site to the address."); return; }
    showMessage("");
    document.body.removeAttribute("data-loaded");
    var work = [loadTotals(gen), loadChart(gen)];
    document.querySelectorAll(".panel").forEach(function (panel) { work.push(loadPanel(panel, gen)); });
    Promise.all(work).then(function () {
      if (gen === generation) { document.body.setAttribute("data-loaded", "true"); }
    }).catch(function (error) {
      if (gen === generation) { showMessage("Could not load the statistics: " + error.message); }
    });
    loadRealtime();
    clearInterval(realtimeTimer);
    realtimeTimer = setInterval(loadRealtime, 30000);
  }

  function fillSites(sites) {
    var select = $("site");
    select.replaceChildren();
    var ids = sites.map(function (s) { return s.id; });
    if (state.site && ids.indexOf(state.site) < 0) { ids.unshift(state.site); }
    if (!state.site && ids.length > 0) { state.site = ids[0]; }
    ids.forEach(function (id) {
      var option = document.createElement("option");
      option.value = id;
      option.textContent = id;
      option.selected = id === state.site;
      select.appendChild(option);
    });
    select.disabled = ids.length < 2;
  }

  function start() {
    readUrl();
    $("site").addEventListener("change", function (e) { state.site = e.target.value; writeUrl(true); refresh(); });
    document.querySelectorAll("#periods button").forEach(function (b) {
      b.addEventListener("click", function () { state.period = b.getAttribute("data-period"); writeUrl(true); refresh(); });
    });
    window.addEventListener("popstate", function () { readUrl(); fillSites([]); refresh(); });
    var resizeTimer = 0;
    window.addEventListener("resize", function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () { if (chart) { chart.setSize({ width: Math.max(260, $("chart").clientWidth), height: 260 }); } }, 150);
    });
    api("sites").then(function (json) { return json.sites || []; }).catch(function () { return []; }).then(function (sites) {
      fillSites(sites);
      if (state.site) { writeUrl(false); }
      refresh();
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
