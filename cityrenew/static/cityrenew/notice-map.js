/* 公示页面的位置图：区界与项目位置（MapLibre，空白底图，无在线瓦片）。数据来自页面内的 JSON（不执行的数据块）。 */
(function () {
  "use strict";
  function extend(b, c) {
    if (typeof c[0] === "number") { b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]); }
    else c.forEach(function (x) { extend(b, x); });
  }
  function init() {
    var el = document.getElementById("notice-map");
    var data = document.getElementById("notice-map-data");
    if (!el || !data) return;
    var d = JSON.parse(data.textContent);
    var status = document.getElementById("notice-map-status");
    if (!d.location) { if (status) status.textContent = "该项目尚未登记位置。"; el.hidden = true; return; }
    if (typeof maplibregl === "undefined") { if (status) status.textContent = "地图组件未能加载。"; return; }
    var b = [180, 90, -180, -90];
    extend(b, d.location.coordinates);
    var point = d.location.type === "Point";
    var map = new maplibregl.Map({
      container: el, style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#f7f9fb" } }] },
      center: [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2], zoom: 12, attributionControl: { compact: true }, cooperativeGestures: true
    });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    window.cityrenewNoticeMap = { map: map, loaded: false };
    map.on("load", function () {
      if (d.district) {
        map.addSource("district", { type: "geojson", data: d.district });
        map.addLayer({ id: "district-fill", type: "fill", source: "district", paint: { "fill-color": "#dfe9f5", "fill-opacity": 0.6 } });
        map.addLayer({ id: "district-line", type: "line", source: "district", paint: { "line-color": "#6b8fbf", "line-width": 1.5 } });
      }
      map.addSource("project", { type: "geojson", data: { type: "Feature", geometry: d.location, properties: {} } });
      if (point) {
        map.addLayer({ id: "project", type: "circle", source: "project", paint: { "circle-radius": 9, "circle-color": "#b3261e", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
        map.jumpTo({ center: d.location.coordinates, zoom: 13 });
      } else {
        map.addLayer({ id: "project", type: "fill", source: "project", paint: { "fill-color": "#b3261e", "fill-opacity": 0.35 } });
        map.addLayer({ id: "project-line", type: "line", source: "project", paint: { "line-color": "#b3261e", "line-width": 2 } });
        map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 30, maxZoom: 16, duration: 0 });
      }
      window.cityrenewNoticeMap.loaded = true;
      el.setAttribute("data-loaded", "1");
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
