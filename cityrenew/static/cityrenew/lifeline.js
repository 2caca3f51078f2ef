/* 城市生命线：各行业设备与报警柱状图；数据流曲线（ECharts），阈值画为水平线，长时段为小时/日平均及最小—最大阴影；统计页按行业、按区的分等级报警堆叠柱状图。无内联脚本（CSP）。 */
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
  var RESOLUTION = { raw: "原始读数", hour: "小时平均（阴影为最小—最大）", day: "日平均（阴影为最小—最大）" };
  function seriesChart(el, hours) {
    var url = el.dataset.seriesUrl + (hours ? (el.dataset.seriesUrl.indexOf("?") < 0 ? "?" : "&") + "hours=" + hours : "");
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (d) {
      var chart = echarts.getInstanceByDom(el) || echarts.init(el);
      chart.on("finished", function () { el.dataset.rendered = "1"; el.dataset.resolution = d.resolution; });
      var colours = ["#c92a2a", "#e8590c", "#f08c00", "#1c7ed6"];
      var band = d.band || [];
      var series = [{
        name: d.name, type: "line", showSymbol: false, data: d.points, z: 3,
        markLine: { symbol: "none", data: d.thresholds.map(function (t, i) {
          return { yAxis: t.value, name: t.level, label: { formatter: t.level + " " + t.text }, lineStyle: { color: colours[i % colours.length], type: "dashed" } };
        }) }
      }];
      if (band.length) {  // min–max band: the minimum (invisible) and the range stacked on it
        series.push({ name: "最小值", type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 }, tooltip: { show: false },
                      data: band.map(function (b) { return [b[0], b[1]]; }) });
        series.push({ name: "最大值", type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 }, tooltip: { show: false },
                      areaStyle: { color: "rgba(31, 95, 168, 0.18)" }, data: band.map(function (b) { return [b[0], b[2] - b[1]]; }) });
      }
      chart.setOption({
        animation: false, tooltip: { trigger: "axis" },
        title: { text: d.name + "（" + d.unit + "）", subtext: RESOLUTION[d.resolution] || "", textStyle: { fontSize: 13 } },
        grid: { left: 60, right: 90, bottom: 30, top: 50 },
        xAxis: { type: "time" }, yAxis: { type: "value", scale: true, name: d.unit },
        series: series
      }, true);
      var empty = el.nextElementSibling && el.nextElementSibling.classList.contains("lifeline-empty") ? el.nextElementSibling : null;
      if (!d.points.length && !empty) el.insertAdjacentHTML("afterend", "<p class=\"muted lifeline-empty\">该时段没有读数</p>");
      if (d.points.length && empty) empty.remove();
      if (!el.dataset.resizeBound) { el.dataset.resizeBound = "1"; window.addEventListener("resize", function () { chart.resize(); }); }
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
  function spanButtons(el) {  // data-spans="168:7天,2160:90天,8784:1年"
    if (!el.dataset.spans) return;
    var bar = document.createElement("p");
    bar.className = "chart-spans";
    el.dataset.spans.split(",").forEach(function (item) {
      var parts = item.split(":");
      var b = document.createElement("button");
      b.type = "button"; b.className = "button small"; b.textContent = parts[1]; b.dataset.hours = parts[0];
      b.addEventListener("click", function () { el.dataset.rendered = ""; seriesChart(el, parts[0]); });
      bar.appendChild(b);
    });
    el.parentNode.insertBefore(bar, el);
  }
  function init() {
    if (typeof echarts === "undefined") return;
    sectorChart();
    document.querySelectorAll(".lifeline-stats-chart").forEach(statsChart);
    document.querySelectorAll(".lifeline-series").forEach(function (el) { spanButtons(el); seriesChart(el); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
