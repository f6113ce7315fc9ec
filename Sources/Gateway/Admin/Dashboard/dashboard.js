// pingate's dashboard: reads /_pingate/stats once a second and shows it. Served from pingate itself under a strict
// Content-Security-Policy (no inline code, no other origin); every value is written as text, never as markup, since
// client names and paths come from clients.
"use strict";

(function () {
  const statsURL = "/_pingate/stats";
  const intervalMs = 1000;
  const svgNS = "http://www.w3.org/2000/svg";

  const byId = (id) => document.getElementById(id);

  function setText(id, text) {
    const element = byId(id);
    if (element.textContent !== text) element.textContent = text;
  }

  function number(value, digits) {
    if (value === null || value === undefined) return "–";
    return digits === undefined ? String(value) : value.toFixed(digits);
  }

  function bytes(count) {
    const units = ["B", "KiB", "MiB", "GiB"];
    let value = count;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return (unit === 0 ? String(value) : value.toFixed(1)) + " " + units[unit];
  }

  function percent(ratio) {
    return ratio === null || ratio === undefined ? "–" : (ratio * 100).toFixed(1) + " %";
  }

  function duration(seconds) {
    const s = Math.floor(seconds);
    const days = Math.floor(s / 86400);
    const hours = Math.floor((s % 86400) / 3600);
    const minutes = Math.floor((s % 3600) / 60);
    if (days > 0) return days + "d " + hours + "h";
    if (hours > 0) return hours + "h " + minutes + "m";
    if (minutes > 0) return minutes + "m " + (s % 60) + "s";
    return s + "s";
  }

  function clock(time) {
    // "2026-11-26T00:47:12.345Z" → "00:47:12.345" (UTC, as in the access log)
    const t = time.indexOf("T");
    return t < 0 ? time : time.slice(t + 1, time.length - 1);
  }

  // Replaces the rows of a table body; `cells` turns one item into [text, className?] pairs. Without items, the
  // table says `empty` in one row.
  function fillTable(tableId, items, cells, empty) {
    const table = byId(tableId);
    const body = table.tBodies[0];
    if (items.length === 0) {
      const row = document.createElement("tr");
      const cell = document.createElement("td");
      cell.colSpan = table.tHead.rows[0].cells.length;
      cell.className = "muted";
      cell.textContent = empty || "none";
      row.appendChild(cell);
      body.replaceChildren(row);
      return;
    }
    const rows = items.map((item) => {
      const row = document.createElement("tr");
      for (const [text, className] of cells(item)) {
        const cell = document.createElement("td");
        cell.textContent = text;
        if (className) cell.className = className;
        row.appendChild(cell);
      }
      return row;
    });
    body.replaceChildren(...rows);
  }

  function showUpstream(upstream) {
    setText("upstream-url", upstream.url);
    const breaker = byId("upstream-breaker");
    breaker.textContent = upstream.breaker + (upstream.breaker_retry_s ? " (retry in " + number(upstream.breaker_retry_s, 1) + " s)" : "");
    breaker.className = upstream.breaker === "closed" ? "good" : "bad";
    const pause = byId("upstream-pause");
    pause.textContent = upstream.paused_s > 0 ? "paused for " + number(upstream.paused_s, 1) + " s (upstream pushback)" : "none";
    pause.className = upstream.paused_s > 0 ? "bad" : "good";
    setText("upstream-rate", number(upstream.requests_per_second, 2) + " (last minute), " + upstream.requests_last_second + " in the last second");
    const latency = upstream.latency_ms;
    setText("upstream-latency", latency.samples === 0 ? "no requests" :
      number(latency.p50, 1) + " ms / " + number(latency.p99, 1) + " ms (" + latency.samples + " requests)");
    const errors = Object.entries(upstream.errors).map(([kind, count]) => kind + " " + count);
    const errorText = errors.length === 0 ? "none" : errors.join(", ");
    setText("upstream-errors", errorText + (upstream.retries > 0 ? "; " + upstream.retries + " retried" : ""));
    byId("other-routes").classList.toggle("hidden", upstream.other_routes.length === 0);
    fillTable("other-routes", upstream.other_routes, (route) => [
      [route.route], [route.prefix], [route.url], [route.breaker],
      [route.paused_s > 0 ? number(route.paused_s, 1) + " s" : "none"],
    ]);
  }

  function showBudgets(budgets) {
    fillTable("budget-table", budgets.list, (budget) => [
      [budget.name],
      [number(budget.rate), "number"],
      [number(budget.burst), "number"],
      [budget.name === "client" ? "per client" : number(budget.remaining), "number"],
      [number(budget.rejected_last_minute), "number"],
      [number(budget.rejected_total), "number"],
    ], "no budgets configured (rate_limit)");
    fillTable("client-table", budgets.clients, (client) => [
      [client.client],
      [number(client.requests), "number"],
      [number(client.requests_last_minute), "number"],
      [number(client.rejected_last_minute), "number"],
      [budgets.client_budget ? number(client.remaining) : "no budget", "number"],
    ], "no requests yet");
  }

  function showCache(cache) {
    const ids = ["cache-entries", "cache-bytes", "cache-hits", "cache-misses", "cache-ratio", "cache-stores", "cache-evictions", "cache-invalidations"];
    if (!cache.enabled) {
      for (const id of ids) setText(id, "cache off");
      fillTable("cache-top", [], () => [], "cache off");
      return;
    }
    setText("cache-entries", String(cache.entries));
    setText("cache-bytes", bytes(cache.bytes) + " of " + bytes(cache.max_bytes));
    setText("cache-hits", String(cache.hits));
    setText("cache-misses", String(cache.misses));
    setText("cache-ratio", percent(cache.hit_ratio_last_minute) + " / " + percent(cache.hit_ratio));
    setText("cache-stores", String(cache.stores));
    setText("cache-evictions", String(cache.evictions));
    setText("cache-invalidations", String(cache.invalidations));
    fillTable("cache-top", cache.top, (entry) => [[entry.target, "path"], [entry.route], [String(entry.hits), "number"]],
      "no cached answer has been requested yet");
  }

  function showRecent(recent) {
    fillTable("recent-table", recent, (request) => [
      [clock(request.time)],
      [request.client],
      [request.method],
      [request.path, "path"],
      [String(request.status), request.status >= 500 ? "number bad" : request.status >= 400 ? "number warn" : "number"],
      [request.cache === null ? "–" : request.cache.replace(/^pingate; /, "")],
      [number(request.duration_ms, 1), "number"],
    ], "no requests yet");
  }

  // Stacked areas (hits at the bottom, then forwarded, then refused), one point per second, newest at the right.
  function showSeries(series) {
    const width = 600;
    const height = 120;
    const count = series.hits.length;
    const totals = series.hits.map((hits, i) => hits + series.forwarded[i] + series.refused[i]);
    const top = Math.max(1, ...totals);
    const x = (i) => (count <= 1 ? 0 : (i / (count - 1)) * width);
    const y = (value) => height - (value / top) * height;

    const svg = document.createElementNS(svgNS, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "requests per second over the last five minutes");

    let below = new Array(count).fill(0);
    for (const name of ["hits", "forwarded", "refused"]) {
      const above = below.map((base, i) => base + series[name][i]);
      let d = "M" + x(0) + "," + y(above[0]);
      for (let i = 1; i < count; i++) d += "L" + x(i) + "," + y(above[i]);
      for (let i = count - 1; i >= 0; i--) d += "L" + x(i) + "," + y(below[i]);
      const path = document.createElementNS(svgNS, "path");
      path.setAttribute("d", d + "Z");
      path.setAttribute("class", "area " + name);
      svg.appendChild(path);
      below = above;
    }
    byId("chart").replaceChildren(svg);
    const sum = (values) => values.reduce((a, b) => a + b, 0);
    setText("traffic-summary", "· top of the chart " + top + "/s · 5 minutes: " + sum(series.hits) + " hits, " +
      sum(series.forwarded) + " forwarded, " + sum(series.refused) + " refused");
  }

  function show(stats) {
    setText("about", "version " + stats.version + " · up " + duration(stats.uptime_s) + " · " +
      stats.requests.proxied + " requests (" + number(stats.requests.per_second, 2) + "/s last minute)");
    const reload = stats.last_reload === null ? "never reloaded" : "last reload " + stats.last_reload.time + " (" + stats.last_reload.result + ")";
    setText("footer", "vault " + (stats.vault === null ? "–" : stats.vault) + " · started " + stats.started + " · " + reload + " · updated " + stats.now);
    showUpstream(stats.upstream);
    showSeries(stats.series);
    showBudgets(stats.budgets);
    showCache(stats.cache);
    showRecent(stats.recent);
  }

  function connection(text, ok) {
    const element = byId("connection");
    element.textContent = text;
    element.className = "connection " + (ok ? "good" : "bad");
  }

  async function refresh() {
    try {
      const response = await fetch(statsURL, { cache: "no-store", credentials: "same-origin" });
      if (!response.ok) {
        connection("pingate answered " + response.status, false);
        return;
      }
      show(await response.json());
      connection("live", true);
    } catch (error) {
      connection("pingate is not reachable", false);
    }
  }

  // One refresh at a time: the next starts a second after the previous one ended.
  async function loop() {
    await refresh();
    setTimeout(loop, intervalMs);
  }

  loop();
})();
