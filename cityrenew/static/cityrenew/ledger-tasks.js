/* 台账更新任务：各区县、各类别的任务量与已完成量柱状图（ECharts）。数据来自 #ledger-progress-data（json_script）。 */
(function () {
  "use strict";
  function init() {
    var el = document.getElementById("ledger-progress-chart");
    var src = document.getElementById("ledger-progress-data");
    if (!el || !src || typeof echarts === "undefined") return;
    var data = JSON.parse(src.textContent).districts;
    var names = data.map(function (d) { return d.name + "（" + d.unit + "）"; });
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.on("finished", function () { el.dataset.rendered = "1"; });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { data: ["任务量", "已完成"] },
      grid: { left: 60, right: 20, bottom: 90, top: 40 },
      xAxis: { type: "category", data: names, axisLabel: { rotate: 40, interval: 0 } },
      yAxis: { type: "value" },
      series: [
        { name: "任务量", type: "bar", data: data.map(function (d) { return d.target; }), itemStyle: { color: "#1f5fa8" } },
        { name: "已完成", type: "bar", data: data.map(function (d) { return d.completed; }), itemStyle: { color: "#2e8b57" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
