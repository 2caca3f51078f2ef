/* 城市体检总览：ECharts 图表 + MapLibre 地图（空白底图，GeoJSON 数据源，无在线瓦片）。
   数据：页面内嵌的 #checkup-charts JSON；地图数据来自 data-geojson-url（WGS84）。 */
(function () {
  "use strict";
  var state = (window.cityrenewCheckup = { charts: 0, mapLoaded: false, problems: 0, units: 0 });

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") return null;
    var c = echarts.init(el, null, { renderer: "canvas" });
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
    state.charts += 1;
    el.dataset.ready = "1";
    return c;
  }

  var FONT = { fontFamily: "Noto Sans CJK SC, Microsoft YaHei, sans-serif" };

  function stacked(categories, series, horizontal, unit) {
    var cat = { type: "category", data: categories, axisLabel: { interval: 0, width: horizontal ? 170 : 80, overflow: "truncate" } };
    var val = { type: "value", minInterval: 1, name: horizontal ? "" : (unit || "") };
    return {
      textStyle: FONT,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: horizontal ? 180 : 40, right: 20, top: 36, bottom: 30, containLabel: !horizontal },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? cat : val,
      series: series.map(function (s) {
        return { name: s.name, type: "bar", stack: "all", data: s.data, itemStyle: { color: s.colour },
                 label: { show: true, formatter: function (p) { return p.value ? p.value : ""; } } };
      })
    };
  }

  function charts(data) {
    chart("chart-verdicts", stacked(data.verdicts.dimensions, data.verdicts.series, false, "项"));
    var dep = data.completeness.slice().sort(function (a, b) { return a.percent - b.percent; });
    chart("chart-completeness", {
      textStyle: FONT,
      tooltip: { formatter: function (p) { var d = dep[p.dataIndex]; return esc(d.name) + "<br>" + d.filled + " / " + d.expected + " 行（" + d.percent + "%）<br>" + esc(d.status); } },
      grid: { left: 170, right: 50, top: 10, bottom: 24 },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: dep.map(function (d) { return d.name; }), axisLabel: { width: 160, overflow: "truncate" } },
      series: [{ type: "bar", data: dep.map(function (d) {
        return { value: d.percent, itemStyle: { color: d.percent >= 100 ? "#1b7f3b" : d.percent >= 50 ? "#3182bd" : "#e8590c" } };
      }), label: { show: true, position: "right", formatter: "{c}%" } }]
    });
    if (data.problems.indicators.length) {
      chart("chart-problems", stacked(data.problems.indicators, data.problems.series, true, "个"));
    } else {
      var el = document.getElementById("chart-problems");
      if (el) { el.innerHTML = '<p class="muted empty">尚无现场问题记录</p>'; el.dataset.ready = "1"; }
    }
  }

  function bbox(collections) {
    var b = [180, 90, -180, -90], n = 0;
    function walk(c) {
      if (typeof c[0] === "number") {
        b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
        b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]); n++;
      } else c.forEach(walk);
    }
    collections.forEach(function (fc) { fc.features.forEach(function (f) { walk(f.geometry.coordinates); }); });
    if (!n) return null;
    if (b[2] - b[0] < 0.01) { b[0] -= 0.01; b[2] += 0.01; }
    if (b[3] - b[1] < 0.01) { b[1] -= 0.01; b[3] += 0.01; }
    return [[b[0], b[1]], [b[2], b[3]]];
  }

  function map() {
    var el = document.getElementById("checkup-map");
    var status = document.getElementById("map-status");
    if (!el || typeof maplibregl === "undefined") return;
    var m = new maplibregl.Map({
      container: el,
      style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#f7f9fb" } }] },
      center: [113.65, 34.75], zoom: 10,
      attributionControl: { compact: true, customAttribution: "体检单元与问题点位（WGS84）" }
    });
    m.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    state.map = m;
    m.on("load", function () {
      fetch(el.dataset.geojsonUrl, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (gj) {
          var polys = { type: "FeatureCollection", features: gj.units.features.filter(function (f) { return f.properties.geom !== "Point"; }) };
          var points = { type: "FeatureCollection", features: gj.units.features.filter(function (f) { return f.properties.geom === "Point"; }) };
          m.addSource("districts", { type: "geojson", data: gj.districts });
          m.addSource("unit-polys", { type: "geojson", data: polys });
          m.addSource("unit-points", { type: "geojson", data: points });
          m.addSource("problems", { type: "geojson", data: gj.problems });
          m.addLayer({ id: "district-fill", type: "fill", source: "districts", paint: { "fill-color": "#eef3fa", "fill-opacity": 0.6 } });
          m.addLayer({ id: "district-line", type: "line", source: "districts", paint: { "line-color": "#7a8ca3", "line-width": 1.2, "line-dasharray": [3, 2] } });
          m.addLayer({ id: "unit-fill", type: "fill", source: "unit-polys",
            paint: { "fill-color": ["match", ["get", "kind"], "block", "#c6dbef", "compound", "#9ecae1", "building", "#6baed6", "#dbe5f1"], "fill-opacity": 0.45 } });
          m.addLayer({ id: "unit-line", type: "line", source: "unit-polys", paint: { "line-color": "#1f5fa8", "line-width": 1 } });
          m.addLayer({ id: "unit-point", type: "circle", source: "unit-points",
            paint: { "circle-radius": ["match", ["get", "kind"], "building", 3, 5], "circle-color": "#ffffff", "circle-stroke-color": "#1f5fa8", "circle-stroke-width": 1.5 } });
          m.addLayer({ id: "problem", type: "circle", source: "problems",
            paint: { "circle-radius": ["match", ["get", "severity"], "severe", 8, "serious", 6.5, 5],
                     "circle-color": ["get", "colour"], "circle-stroke-color": "#fff", "circle-stroke-width": 1.2, "circle-opacity": 0.9 } });
          var box = bbox([gj.problems, gj.units]) || bbox([gj.districts]);
          if (box) m.fitBounds(box, { padding: 40, animate: false, maxZoom: 16 });
          m.on("click", "problem", function (e) {
            var p = e.features[0].properties;
            new maplibregl.Popup({ maxWidth: "300px" }).setLngLat(e.lngLat).setHTML(
              '<div class="map-popup"><b>' + esc(p.what) + "</b><br>" + esc(p.unit) + " · " + esc(p.severity_label) + " · " + esc(p.status) +
              "<br>" + esc(p.indicator) + '<br><a href="' + esc(p.url) + '">查看问题 ›</a></div>').addTo(m);
          });
          ["unit-fill", "unit-point"].forEach(function (layer) {
            m.on("click", layer, function (e) {
              var p = e.features[0].properties;
              new maplibregl.Popup({ maxWidth: "260px" }).setLngLat(e.lngLat).setHTML(
                '<div class="map-popup"><b>' + esc(p.name) + "</b>（" + esc(p.kind_label) + "）<br>" + esc(p.region) + "<br>问题 " + esc(p.problems) + " 个</div>").addTo(m);
            });
          });
          ["problem", "unit-fill", "unit-point"].forEach(function (layer) {
            m.on("mouseenter", layer, function () { m.getCanvas().style.cursor = "pointer"; });
            m.on("mouseleave", layer, function () { m.getCanvas().style.cursor = ""; });
          });
          m.once("idle", function () {
            state.mapLoaded = true;
            state.problems = gj.problems.features.length;
            state.units = gj.units.features.length;
            el.dataset.loaded = String(gj.problems.features.length);
            status.textContent = "体检单元 " + gj.units.features.length + " 个、现场问题 " + gj.problems.features.length +
              " 个、区县边界 " + gj.districts.features.length + " 个；点击点位查看详情。";
          });
        })
        .catch(function (err) {
          status.textContent = "地图数据加载失败：" + err.message;
          status.className = "error";
        });
    });
  }

  function init() {
    var data = document.getElementById("checkup-charts");
    if (data) charts(JSON.parse(data.textContent));
    map();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
