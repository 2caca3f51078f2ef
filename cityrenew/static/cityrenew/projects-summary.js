/* 汇总表页：各区域项目总投资柱状图（ECharts），按片区分组着色。数据来自 #chart-data（json_script）。 */
(function () {
  "use strict";
  var GROUP_COLOURS = ["#1f5fa8", "#d4802a", "#2e8b57", "#8a4fb0", "#c0392b"];

  function init() {
    var el = document.getElementById("district-chart");
    var src = document.getElementById("chart-data");
    if (!el || !src || typeof echarts === "undefined") return;
    var data = JSON.parse(src.textContent);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var names = data.districts.map(function (d) { return d.name; });
    // One series per region group so that the legend names the groups; bars of other groups are "-".
    var series = data.groups.map(function (g, gi) {
      return {
        name: g,
        type: "bar",
        stack: "total",
        barMaxWidth: 36,
        itemStyle: { color: GROUP_COLOURS[gi % GROUP_COLOURS.length] },
        label: { show: true, position: "top", fontSize: 11, formatter: function (p) { return p.value === "-" ? "" : p.data.label; } },
        data: data.districts.map(function (d) {
          return d.group_index === gi ? { value: Number(d.total), label: d.total, count: d.count } : "-";
        })
      };
    });
    // Registered before setOption: with animation off the first frame can finish immediately.
    chart.on("finished", function () {
      el.dataset.rendered = "1";
      window.cityrenewSummaryChart = { rendered: true, bars: names.length };
    });
    chart.setOption({
      animation: false,
      grid: { left: 60, right: 20, top: 50, bottom: 70 },
      legend: { top: 8 },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          return p.name + "<br>" + p.seriesName + "<br>总投资 " + p.data.label + " 亿元<br>项目 " + p.data.count + " 个";
        }
      },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", name: "亿元" },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
