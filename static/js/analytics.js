// The analytics dashboard's charts: drawn with uPlot after first paint, from the
// summary API (the page's figures and tables are already server-rendered).
(() => {
  const root = document.getElementById("analytics-charts");
  if (!root || typeof uPlot === "undefined") return;

  const COLORS = ["#2d6cdf", "#c0392b", "#1e9e5a", "#8e44ad"];

  // One point per bucket of the period, zero where nothing happened.
  function buckets(summary) {
    const step = summary.interval === "hour" ? 3600 : 86400;
    const start = Date.parse(summary.from) / 1000;
    const end = Date.parse(summary.to) / 1000;
    const out = [];
    for (let t = start; t < end; t += step) out.push(t);
    return out;
  }

  function column(summary, times, type, key) {
    const index = new Map(times.map((t, i) => [t, i]));
    const values = times.map(() => 0);
    for (const row of summary.series) {
      if (row.type !== type) continue;
      const i = index.get(Date.parse(row.start) / 1000);
      if (i !== undefined) values[i] += Number(row[key] || 0);
    }
    return values;
  }

  function usersColumn(summary, times) {
    const byDay = new Map(summary.active_users.by_day.map((d) => [Date.parse(d.day) / 1000, d.users]));
    return times.map((t) => byDay.get(t - (t % 86400)) || 0);
  }

  const CHARTS = {
    requests: (s, t) => [["Requests", column(s, t, "api.request", "count")],
                         ["Server errors", column(s, t, "api.request", "errors")]],
    tools: (s, t) => [["Tool calls", column(s, t, "tool.call", "count")],
                      ["Errors", column(s, t, "tool.call", "errors")]],
    tokens: (s, t) => [["Prompt tokens", column(s, t, "llm.usage", "prompt_tokens")],
                       ["Completion tokens", column(s, t, "llm.usage", "completion_tokens")],
                       ["Cost (USD)", column(s, t, "llm.usage", "cost"), "cost"]],
    syncs: (s, t) => [["Syncs", column(s, t, "sync.run", "count")],
                      ["Records", column(s, t, "sync.run", "records"), "records"]],
    workflows: (s, t) => [["Runs", column(s, t, "workflow.run", "count")],
                          ["Failed", column(s, t, "workflow.run", "errors")]],
    users: (s, t) => [["Active users", usersColumn(s, t)]],
  };

  function draw(section, summary, times) {
    const lines = CHARTS[section.dataset.chart](summary, times);
    const plot = section.querySelector(".plot");
    const empty = lines.every(([, values]) => values.every((v) => v === 0));
    section.querySelector(".empty").hidden = !empty;
    section.dataset.points = String(lines.reduce((n, [, v]) => n + v.filter((x) => x).length, 0));
    const scales = { x: { time: true } };
    const axes = [{}, { scale: "y" }];
    const series = [{}];
    lines.forEach(([label, , scale], i) => {
      const key = scale || "y";
      if (!scales[key]) {
        scales[key] = {};
        axes.push({ scale: key, side: 1, grid: { show: false } });
      }
      series.push({ label, scale: key, stroke: COLORS[i % COLORS.length], width: 2 });
    });
    const width = Math.max(300, plot.clientWidth || 400);
    new uPlot({ width, height: 220, scales, axes, series },
              [times, ...lines.map(([, values]) => values)], plot);
    section.classList.add("drawn");
  }

  function load() {
    fetch(root.dataset.summaryUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((summary) => {
        const times = buckets(summary);
        root.querySelectorAll("[data-chart]").forEach((section) => draw(section, summary, times));
        root.dataset.loaded = "true";
      })
      .catch(() => { root.dataset.loaded = "failed"; });
  }

  // After first paint: the figures and tables show before any chart is drawn.
  if (document.readyState === "complete") requestAnimationFrame(load);
  else window.addEventListener("load", () => requestAnimationFrame(load));
})();
