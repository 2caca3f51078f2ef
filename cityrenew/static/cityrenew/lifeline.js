/* 城市生命线：各行业设备与报警柱状图；数据流曲线（ECharts），阈值画为水平线；统计页按行业、按区的分等级报警堆叠柱状图。无内联脚本（CSP）。 */
(function () {
  "use strict";
  function sectorChart() {
    var el = document.getElementById("lifeline-sector-chart");
    var src = document.getElementById("lifeline-sector-data");
    if (!el || !src || typeof echarts === "undefined") return;
    var data = JSON.parse(src.textContent);
    var chart = echarts.init(el);
    chart.on("finished", function () { el.dataset.rendered = "1"; });
    chart.setOption({
      animation: false, tooltip: { trigger: "axis" }, legend: { data: ["设备", "当前报警"] },
      grid: { left: 50, right: 20, bottom: 40, top: 40 },
      xAxis: { type: "category", data: data.map(function (d) { return d.label; }) },
      yAxis: { type: "value" },
      series: [
        { name: "设备", type: "bar", data: data.map(function (d) { return d.devices; }), itemStyle: { color: "#1f5fa8" } },
        { name: "当前报警", type: "bar", data: data.map(function (d) { return d.alarms; }), itemStyle: { color: "#c92a2a" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function seriesChart(el) {
    fetch(el.dataset.seriesUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
      var chart = echarts.init(el);
      chart.on("finished", function () { el.dataset.rendered = "1"; });
      var colours = ["#c92a2a", "#e8590c", "#f08c00", "#1c7ed6"];
      chart.setOption({
        animation: false, tooltip: { trigger: "axis" },
        title: { text: d.name + "（" + d.unit + "）", textStyle: { fontSize: 13 } },
        grid: { left: 60, right: 90, bottom: 30, top: 40 },
        xAxis: { type: "time" }, yAxis: { type: "value", scale: true, name: d.unit },
        series: [{
          name: d.name, type: "line", showSymbol: false, data: d.points,
          markLine: { symbol: "none", data: d.thresholds.map(function (t, i) {
            return { yAxis: t.value, name: t.level, label: { formatter: t.level + " " + t.text }, lineStyle: { color: colours[i % colours.length], type: "dashed" } };
          }) }
        }]
      });
      if (!d.points.length) el.insertAdjacentHTML("afterend", "<p class=\"muted\">该时段没有读数</p>");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  function statsChart(el) {
    var src = document.getElementById("lifeline-stats-data");
    if (!src) return;
    var data = JSON.parse(src.textContent), dim = el.dataset.dimension;
    var colours = ["#c92a2a", "#e8590c", "#f0b400", "#1c7ed6", "#868e96"];
    var chart = echarts.init(el);
    chart.on("finished", function () { el.dataset.rendered = "1"; });
    var series = data.levels.map(function (lv, i) {
      return { name: lv.name, type: "bar", stack: "alarms", barMaxWidth: 48, data: lv[dim], itemStyle: { color: colours[i % colours.length] } };
    });
    series.push({ name: "设备", type: "line", yAxisIndex: 1, data: data.devices[dim], itemStyle: { color: "#1f5fa8" } });
    chart.setOption({
      animation: false, tooltip: { trigger: "axis" },
      legend: { top: 0, data: data.levels.map(function (lv) { return lv.name; }).concat(["设备"]) },
      grid: { left: 50, right: 50, bottom: 30, top: 60 },
      xAxis: { type: "category", data: data[dim === "sector" ? "sectors" : "districts"] },
      yAxis: [{ type: "value", name: "报警", minInterval: 1 }, { type: "value", name: "设备", minInterval: 1 }],
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function init() {
    if (typeof echarts === "undefined") return;
    sectorChart();
    document.querySelectorAll(".lifeline-stats-chart").forEach(statsChart);
    document.querySelectorAll(".lifeline-series").forEach(seriesChart);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
