/* 城市对比页：各城市资金计划、到位、支出（万元，左轴）与项目总投资（亿元，右轴）的分组柱状图（ECharts）。数据来自 #compare-data（json_script）。 */
(function () {
  "use strict";
  function init() {
    var el = document.getElementById("compare-chart");
    var src = document.getElementById("compare-data");
    if (!el || !src || typeof echarts === "undefined") return;
    var data = JSON.parse(src.textContent);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.on("finished", function () { el.dataset.rendered = "1"; });
    chart.setOption({
      animation: false,
      grid: { left: 70, right: 20, top: 50, bottom: 40 },
      legend: { top: 8 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.cities },
      // funding in 万元 on the left axis, project investment in 亿元 on the right: never one axis for both units
      yAxis: [{ type: "value", name: "万元" }, { type: "value", name: "亿元", splitLine: { show: false } }],
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", barMaxWidth: 36, yAxisIndex: s.axis, data: s.data.map(Number) };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
