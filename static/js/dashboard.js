// Draws the dashboard's charts from the JSON the page embeds (#dashboard-charts).
// Every chart's figures are also in the table under it; clicking a bar or a slice
// opens the institutions behind it.
(function () {
  "use strict";
  var data = document.getElementById("dashboard-charts");
  if (!data || !window.echarts) return;
  var charts = JSON.parse(data.textContent);
  var palette = ["#0d6efd", "#198754", "#ffc107", "#dc3545", "#6f42c1", "#20c997", "#6c757d"];

  function option(c) {
    // Tooltips drawn in the chart (richText): ECharts' HTML tooltips carry style
    // attributes, which the Content-Security-Policy refuses.
    var tooltip = { trigger: c.kind === "pie" ? "item" : "axis", renderMode: "richText" };
    var base = { color: palette, tooltip: tooltip, animation: false };
    if (c.kind === "pie") {
      base.legend = { bottom: 0 };
      base.series = [{
        type: "pie", radius: ["40%", "68%"], center: ["50%", "45%"],
        label: { formatter: "{b}: {c}" },
        data: c.categories.map(function (name, i) { return { name: name, value: c.series[0].data[i] }; })
      }];
      return base;
    }
    var horizontal = c.kind === "hbar" || c.kind === "hbar-signed";
    var category = { type: "category", data: c.categories, axisLabel: { interval: 0, width: horizontal ? 140 : 80, overflow: "truncate" } };
    var value = { type: "value", minInterval: c.kind === "grouped-bar" || c.kind === "hbar-signed" ? null : 1 };
    base.grid = { left: horizontal ? 150 : 50, right: 30, top: 30, bottom: 40 };
    if (c.kind === "bar-line") {
      base.legend = { top: 0 };
      base.xAxis = category;
      base.yAxis = [{ type: "value", name: c.series[0].name }, { type: "value", name: c.series[1].name, max: 100 }];
      base.series = [
        { type: "bar", name: c.series[0].name, data: c.series[0].data },
        { type: "line", name: c.series[1].name, yAxisIndex: 1, data: c.series[1].data }
      ];
      return base;
    }
    base.xAxis = horizontal ? value : category;
    base.yAxis = horizontal ? category : value;
    if (c.series.length > 1) base.legend = { top: 0 };
    base.series = c.series.map(function (s) {
      var series = { type: "bar", name: s.name, data: s.data, label: { show: c.series.length === 1, position: horizontal ? "right" : "top" } };
      if (c.kind === "hbar-signed") {
        series.data = s.data.map(function (v) { return { value: v, itemStyle: { color: v < 0 ? "#dc3545" : "#198754" } }; });
      }
      return series;
    });
    return base;
  }

  charts.forEach(function (c) {
    var el = document.querySelector('[data-chart="' + c.id + '"]');
    if (!el) return;
    if (!c.categories.length) { el.classList.add("d-none"); return; }
    var height = (c.kind === "hbar" || c.kind === "hbar-signed") ? Math.max(160, c.categories.length * 22 + 60) : 280;
    el.style.height = height + "px";
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option(c));
    if (c.links) {
      chart.on("click", function (params) {
        var url = c.links[params.dataIndex];
        if (url) window.location.href = url;
      });
    }
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
