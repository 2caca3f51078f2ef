/* 城市对比页：各城市项目总投资与资金计划、到位、支出的分组柱状图（ECharts）。数据来自 #compare-data（json_script）。 */
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
      yAxis: { type: "value" },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", barMaxWidth: 36, data: s.data.map(Number) };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
