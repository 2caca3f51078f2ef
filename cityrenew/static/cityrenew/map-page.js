/* 一张图（one map）: every registered layer over a configurable base map (MapLibre GL).
 *
 * The page reads /map/layers.json (layers this user may read, the base map, the city's bounds) and
 * builds: the layer list grouped by `group` (legend, citation), the filters the layers accept
 * (applied by re-requesting a GeoJSON layer / re-setting a tile URL with query parameters), a popup
 * per feature with a link to the record, search (/map/search.json), distance and area measuring,
 * export of the current view (/map/export), and — with ?draw=project:<id> — drawing a project's
 * point or area, saved through the project API with its row version.
 *
 * All coordinates are WGS84 lon/lat; lengths are metres, areas square metres.
 * window.cityrenewOneMap = {map, layers, ready, …} is the hook the browser tests read.
 */
(function () {
  "use strict";

  // --- measuring on the sphere -------------------------------------------------------------------
  // Mean Earth radius (IUGG R1 = 6 371 008.8 m) for great-circle lengths; the WGS84 equatorial radius
  // for spherical polygon areas (Chamberlain & Duquette, "Some Algorithms for Polygons on a Sphere",
  // JPL 2007) — the same constants @turf/length and @turf/area use.
  var MEAN_RADIUS_M = 6371008.8;
  var WGS84_A_M = 6378137;
  var RAD = Math.PI / 180;

  function haversine(a, b) {
    var dLat = (b[1] - a[1]) * RAD, dLon = (b[0] - a[0]) * RAD;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(a[1] * RAD) * Math.cos(b[1] * RAD) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * MEAN_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  function pathLength(coords) {
    var m = 0;
    for (var i = 1; i < coords.length; i++) m += haversine(coords[i - 1], coords[i]);
    return m;
  }

  function ringArea(coords) {
    // coords: an open or closed ring of lon/lat; returns square metres (absolute).
    var pts = coords.slice();
    if (pts.length && (pts[0][0] !== pts[pts.length - 1][0] || pts[0][1] !== pts[pts.length - 1][1])) pts.push(pts[0]);
    var n = pts.length;
    if (n < 4) return 0;
    var total = 0;
    for (var i = 0; i < n - 1; i++) {
      var p1 = pts[i], p2 = pts[(i + 1) % (n - 1)], p3 = pts[(i + 2) % (n - 1)];
      total += (p3[0] * RAD - p1[0] * RAD) * Math.sin(p2[1] * RAD);
    }
    return Math.abs(total * WGS84_A_M * WGS84_A_M / 2);
  }

  function fmtLength(m) {
    return m < 1000 ? m.toFixed(1) + " 米" : (m / 1000).toFixed(3) + " 公里";
  }

  function fmtArea(m2) {
    return m2 < 1e6 ? Math.round(m2).toLocaleString("zh-CN") + " 平方米" : (m2 / 1e6).toFixed(3) + " 平方公里";
  }

  // --- small DOM helpers -------------------------------------------------------------------------
  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "dataset") Object.keys(v).forEach(function (d) { node.dataset[d] = v[d]; });
      else node.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function show(value) {
    if (value === null || value === undefined || value === "" || value === "null") return "—";
    if (typeof value === "number") return String(Math.round(value * 10000) / 10000);
    return String(value);
  }

  function withQuery(url, params) {
    var q = Object.keys(params).filter(function (k) { return params[k] !== "" && params[k] !== undefined; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
    if (!q) return url;
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + q;
  }

  function absolute(url) {
    // MapLibre fetches tiles from a worker: tile URLs must be absolute.
    return new URL(url, window.location.href).href.replace(/%7B/g, "{").replace(/%7D/g, "}");
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function readJSON(response) {
    return response.text().then(function (text) {
      var body = {};
      try { body = text ? JSON.parse(text) : {}; } catch (e) { body = { detail: text.slice(0, 200) }; }
      return body;
    });
  }

  function errorText(status, body) {
    // The API's own Chinese message: {"detail": …}, or field errors {"location": ["…"]}.
    if (body && typeof body.detail === "string") return body.detail;
    if (body && typeof body.error === "string") return body.error;
    if (body && typeof body === "object") {
      var parts = [];
      Object.keys(body).forEach(function (k) {
        var v = body[k];
        parts.push(Array.isArray(v) ? v.join("；") : String(v));
      });
      if (parts.length) return parts.join("；");
    }
    return "请求失败（HTTP " + status + "）";
  }

  function geometryBounds(geometry) {
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    function walk(c) {
      if (typeof c[0] === "number") {
        b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
        b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
      } else c.forEach(walk);
    }
    if (geometry.type === "GeometryCollection") geometry.geometries.forEach(function (g) { walk(g.coordinates); });
    else walk(geometry.coordinates);
    return b;
  }

  function featureBounds(features) {
    var b = null;
    features.forEach(function (f) {
      if (!f.geometry) return;
      var g = geometryBounds(f.geometry);
      b = b ? [Math.min(b[0], g[0]), Math.min(b[1], g[1]), Math.max(b[2], g[2]), Math.max(b[3], g[3])] : g;
    });
    return b;
  }

  // --- base map ----------------------------------------------------------------------------------
  var OFFLINE_BACKGROUND = "#eef0eb";
  var TIANDITU = "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0" +
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}";

  function tiandituTiles(layer, key) {
    var tiles = [];
    for (var s = 0; s < 8; s++) {
      tiles.push(TIANDITU.replace("{s}", s).replace(/\{layer\}/g, layer).replace("{key}", encodeURIComponent(key || "")));
    }
    return tiles;
  }

  function baseStyle(basemap) {
    basemap = basemap || { kind: "offline" };
    var style = {
      version: 8,
      sources: {},
      layers: [{ id: "basemap-background", type: "background", paint: { "background-color": OFFLINE_BACKGROUND } }]
    };
    var attribution = basemap.attribution || "";
    if (basemap.kind === "tianditu") {
      // 天地图 Web Mercator WMTS: vec_w (矢量底图) + cva_w (矢量注记), with the city's key (tk).
      // the server's two URL templates when given (vec, cva), else built from the key
      var given = basemap.tiles && basemap.tiles.length === 2 ? basemap.tiles : null;
      ["vec", "cva"].forEach(function (layer, i) {
        style.sources["basemap-" + layer] = {
          type: "raster", tileSize: 256, maxzoom: 18, tiles: given ? [given[i]] : tiandituTiles(layer, basemap.key),
          attribution: layer === "vec" ? (attribution || "© 天地图 国家地理信息公共服务平台") : ""
        };
        style.layers.push({ id: "basemap-" + layer, type: "raster", source: "basemap-" + layer });
      });
    } else if (basemap.kind === "xyz" && (basemap.url || (basemap.tiles && basemap.tiles.length))) {
      var urls = [];
      (basemap.tiles && basemap.tiles.length ? basemap.tiles : [basemap.url]).forEach(function (u) {
        // {s}: the server's subdomains (OSM-style a/b/c), which MapLibre does not expand itself
        if (u.indexOf("{s}") >= 0) ["a", "b", "c"].forEach(function (sub) { urls.push(u.replace("{s}", sub)); });
        else urls.push(u);
      });
      style.sources["basemap-xyz"] = {
        type: "raster", tileSize: basemap.tile_size || 256, maxzoom: basemap.maxzoom || 19, tiles: urls,
        attribution: attribution
      };
      style.layers.push({ id: "basemap-xyz", type: "raster", source: "basemap-xyz" });
    }
    return style;
  }

  // How an offline base-map layer (group 底图) is drawn: water as fill, roads as lines, buildings light.
  var BASE_ROLES = {
    water: { test: /water|river|lake|水/i, fill: "#b9d3ea", line: "#9fc1e0" },
    green: { test: /green|park|forest|wood|绿|林|公园/i, fill: "#d5e8c8", line: "#c0dcae" },
    buildings: { test: /building|建筑|房屋/i, fill: "#dcd7cf", line: "#c9c2b8" },
    roads: { test: /road|street|highway|路|街/i, line: "#ffffff", casing: "#cfc9bf" },
    boundaries: { test: /bound|边界|区划/i, fill: "#e6e8e0", line: "#a3a89d" }
  };

  function baseRole(def) {
    var kind = def.style && (def.style.kind || def.style.role);
    if (kind && BASE_ROLES[kind]) return kind;
    var text = [def.name, def.title].join(" ");
    var keys = Object.keys(BASE_ROLES);
    for (var i = 0; i < keys.length; i++) if (BASE_ROLES[keys[i]].test.test(text)) return keys[i];
    return def.geometry === "line" ? "roads" : "buildings";
  }

  // --- the page ----------------------------------------------------------------------------------
  var BASE_GROUP = "底图";
  var TYPE_RANK = { fill: 1, line: 2, circle: 3 };
  var HOVER = ["boolean", ["feature-state", "hover"], false];  // the feature under the pointer

  function init() {
    var page = document.getElementById("onemap-page");
    if (!page) return;
    var status = document.getElementById("map-status");
    var hook = window.cityrenewOneMap = { map: null, layers: [], ready: false, filters: {}, measure: null };
    if (typeof maplibregl === "undefined") {
      status.textContent = "地图库未能加载，请刷新页面。";
      status.classList.add("error");
      return;
    }
    placeBelowTopbar(page);
    var basemapContext = {};
    var node = document.getElementById("map-basemap");
    if (node) { try { basemapContext = JSON.parse(node.textContent) || {}; } catch (e) { basemapContext = {}; } }

    fetch(page.dataset.layersUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) return readJSON(r).then(function (b) { throw new Error(errorText(r.status, b)); });
        return r.json();
      })
      .then(function (data) { start(page, hook, data, data.basemap || basemapContext); })
      .catch(function (err) {
        status.textContent = "图层目录加载失败：" + err.message;
        status.classList.add("error");
        document.getElementById("layer-list").textContent = "";
      });
  }

  function placeBelowTopbar(page) {
    var bar = document.querySelector(".topbar");
    function place() { if (bar) page.style.top = bar.getBoundingClientRect().bottom + "px"; }
    place();
    window.addEventListener("resize", place);
  }

  function start(page, hook, data, basemap) {
    var status = document.getElementById("map-status");
    var params = new URLSearchParams(window.location.search);
    var wanted = (params.get("layer") || "").split(",").filter(Boolean);
    var offline = !basemap || !basemap.kind || basemap.kind === "offline";
    var b = data.bounds;
    var options = {
      container: "onemap",
      style: baseStyle(basemap),
      attributionControl: { compact: true, customAttribution: offline ? (basemap && basemap.attribution) || undefined : undefined },
      doubleClickZoom: true,
      hash: "view"  // #view=zoom/lat/lon: a view can be bookmarked or sent
    };
    if (b && b.length === 4 && isFinite(b[0])) { options.bounds = [[b[0], b[1]], [b[2], b[3]]]; options.fitBoundsOptions = { padding: 24 }; }
    else { options.center = [113.65, 34.75]; options.zoom = 10; }
    var map = new maplibregl.Map(options);
    hook.map = map;
    map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), "top-right");
    map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");

    var baseNames = (basemap && basemap.layers) || [];
    var entries = (data.layers || []).map(function (def) {
      return {
        name: def.name, def: def, visible: false, loaded: false, count: null, error: "",
        base: def.group === BASE_GROUP || baseNames.indexOf(def.name) >= 0, styleLayers: [], token: 0, stale: true, row: null
      };
    });
    // the base map's own data layers (offline) are always listed; on when the base map is offline
    entries.forEach(function (e) {
      if (e.base) e.visible = offline && (!!e.def.visible || baseNames.indexOf(e.name) >= 0 || wanted.indexOf(e.name) >= 0);
      else e.visible = params.has("layer") ? wanted.indexOf(e.name) >= 0 : !!e.def.visible;
    });
    hook.layers = entries;
    var byStyleLayer = {};
    var filters = {};  // filter name → selected value
    hook.filters = filters;
    var tool = { kind: null };  // null | "measure" | "draw": who gets map clicks

    // ---- sources and style layers
    function paintColour(def, fallback) {
      var style = def.style || {};
      var colour = style.colour || fallback;
      if (style.colour_by && style.colours && Object.keys(style.colours).length) {
        var expr = ["match", ["to-string", ["get", style.colour_by]]];
        Object.keys(style.colours).forEach(function (v) { expr.push(v, style.colours[v]); });
        expr.push(colour);
        return expr;
      }
      return colour;
    }

    function addStyleLayers(e) {
      var def = e.def, src = "layer-" + e.name;
      var vis = e.visible ? "visible" : "none";
      var common = { source: src, layout: { visibility: vis } };
      if (def.kind === "mvt") common["source-layer"] = def.source_layer || def.name;
      if (def.minzoom) common.minzoom = def.minzoom;
      var geom = def.geometry || "mixed";
      var specs = [];
      if (e.base) {
        var role = BASE_ROLES[baseRole(def)];
        if (role.fill && geom !== "line" && geom !== "point") {
          var fill = baseRole(def) === "boundaries" ? role.fill : (def.style && def.style.colour) || role.fill;
          specs.push({ id: src + "-fill", type: "fill", paint: { "fill-color": fill, "fill-opacity": 1 } });
          if (baseRole(def) === "buildings") specs.push({ id: src + "-line", type: "line", minzoom: 14, paint: { "line-color": role.line, "line-width": 0.6 } });
          if (baseRole(def) === "boundaries") specs.push({ id: src + "-line", type: "line", paint: { "line-color": role.line, "line-width": 0.8, "line-dasharray": [4, 2] } });
        } else if (role.casing) {
          specs.push({ id: src + "-casing", type: "line", layout: { "line-cap": "round", "line-join": "round" },
            paint: { "line-color": role.casing, "line-width": ["interpolate", ["linear"], ["zoom"], 10, 1.2, 14, 4, 17, 12] } });
          specs.push({ id: src + "-line", type: "line", layout: { "line-cap": "round", "line-join": "round" },
            paint: { "line-color": (def.style && def.style.colour) || role.line, "line-width": ["interpolate", ["linear"], ["zoom"], 10, 0.6, 14, 2.6, 17, 9] } });
        } else {
          specs.push({ id: src + "-line", type: "line", paint: { "line-color": (def.style && def.style.colour) || role.line || "#999", "line-width": 1.2, "line-dasharray": [3, 2] } });
        }
      } else {
        var colour = paintColour(def, "#1f5fa8");
        var outline = (def.style && def.style.outline) || colour;
        var st = def.style || {};
        var fillOpacity = st.fill_opacity !== undefined ? st.fill_opacity : st.opacity !== undefined ? st.opacity : 0.35;
        var poly = ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false];
        var line = ["match", ["geometry-type"], ["LineString", "MultiLineString"], true, false];
        var point = ["match", ["geometry-type"], ["Point", "MultiPoint"], true, false];
        if (geom === "polygon" || geom === "mixed") {
          specs.push({ id: src + "-fill", type: "fill", filter: poly, paint: { "fill-color": colour,
            "fill-opacity": ["case", HOVER, Math.min(0.75, fillOpacity + 0.25), fillOpacity] } });
          specs.push({ id: src + "-outline", type: "line", filter: poly,
            paint: { "line-color": outline, "line-width": ["interpolate", ["linear"], ["zoom"], 8, 1, 14, 2] } });
        }
        if (geom === "line" || geom === "mixed") {
          specs.push({ id: src + "-line", type: "line", filter: line, layout: { "line-cap": "round" },
            paint: { "line-color": colour, "line-width": ["interpolate", ["linear"], ["zoom"], 8, 1.5, 16, 4] } });
        }
        if (geom === "point" || geom === "mixed") {
          // size_by: the radius grows with the square root of the value (an area proportional to it)
          var radius = st.size_by
            ? ["min", 18, ["+", 5, ["*", 1.3, ["sqrt", ["max", 0, ["to-number", ["get", st.size_by], 0]]]]]]
            : ["interpolate", ["linear"], ["zoom"], 8, 4, 14, 7];
          specs.push({ id: src + "-circle", type: "circle", filter: point, paint: {
            "circle-color": colour, "circle-radius": radius,
            "circle-stroke-color": ["case", HOVER, "#1d2733", "#ffffff"], "circle-stroke-width": ["case", HOVER, 2.5, 1.5],
            "circle-opacity": 0.95 } });
        }
      }
      return specs.map(function (spec) {
        var full = Object.assign({}, common, spec);
        full.layout = Object.assign({}, common.layout, spec.layout || {});
        return { entry: e, spec: full };
      });
    }

    function layerParams(e) {
      // the filters this layer accepts; a chosen value applies when it is one of the layer's own choices
      // (a free-text filter of a layer without choices takes the value as typed)
      var p = {};
      if (e.base) return p;
      (e.def.filters || []).forEach(function (f) {
        var value = filters[f.name];
        if (!value) return;
        var options = f.options || [];
        var known = options.some(function (o) { return String(o[0]) === value; });
        var select = document.getElementById("filter-" + f.name);
        if (known || (!options.length && select && select.tagName === "INPUT")) p[f.name] = value;
      });
      return p;
    }

    function addSources() {
      entries.forEach(function (e) {
        var src = "layer-" + e.name;
        if (e.def.kind === "mvt") {
          map.addSource(src, { type: "vector", tiles: [absolute(withQuery(e.def.url, layerParams(e)))], maxzoom: 16 });
          e.stale = false;
        } else {
          map.addSource(src, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
        }
      });
      // drawing order: the base map, then every layer's areas, then lines, then points on top
      var all = [];
      entries.forEach(function (e) { all = all.concat(addStyleLayers(e)); });
      var rank = function (x) {
        // land (neighbouring boundaries) first, under water, green and buildings
        var land = x.entry.base && x.spec.type === "fill" && baseRole(x.entry.def) === "boundaries";
        return (x.entry.base ? 0 : 10) + (land ? 0 : TYPE_RANK[x.spec.type] || 0);
      };
      all.forEach(function (x, i) { x.i = i; });
      all.sort(function (a, b) { return rank(a) - rank(b) || a.i - b.i; });
      all.forEach(function (x) {
        map.addLayer(x.spec);
        x.entry.styleLayers.push(x.spec.id);
        byStyleLayer[x.spec.id] = x.entry;
      });
    }

    function whenIdle(callback) {
      // 'idle' follows the next frame in which every source is loaded and nothing moves
      map.once("idle", callback);
      map.triggerRepaint();
    }

    function markLoaded(e) {
      whenIdle(function () {
        e.loaded = true;
        refreshRow(e);
        var waiting = e.waiting || [];
        e.waiting = [];
        waiting.forEach(function (callback) { callback(); });
      });
    }

    function whenLoaded(e, callback) {
      // after the layer's features are drawn (at once when they already are)
      if (e.loaded && e.visible) whenIdle(callback);
      else (e.waiting = e.waiting || []).push(callback);
    }

    function load(e) {
      // (Re)load a layer with the current filters: GeoJSON is fetched; a tile URL is re-set.
      var src = map.getSource("layer-" + e.name);
      e.loaded = false; e.error = "";
      refreshRow(e);
      if (e.def.kind === "mvt") {
        src.setTiles([absolute(withQuery(e.def.url, layerParams(e)))]);
        e.stale = false;
        markLoaded(e);
        return;
      }
      var token = ++e.token;
      fetch(withQuery(e.def.url, layerParams(e)), { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
        .then(function (r) {
          if (!r.ok) return readJSON(r).then(function (b) { throw new Error(errorText(r.status, b)); });
          return r.json();
        })
        .then(function (gj) {
          if (token !== e.token) return;
          e.features = gj.features || [];
          e.count = e.features.length;
          e.bounds = featureBounds(gj.features || []);
          e.stale = false;
          src.setData(gj);
          updateLabels(e, gj.features);
          if (e.zoomWhenLoaded) { e.zoomWhenLoaded = false; zoomTo(e); }
          markLoaded(e);
        })
        .catch(function (err) {
          if (token !== e.token) return;
          e.error = err.message;
          refreshRow(e);
        });
    }

    // Names of areas in the 基础 group (districts, zones) as HTML labels: an offline map has no glyph
    // server for symbol layers. At most LABEL_LIMIT per layer.
    var LABEL_LIMIT = 80;
    function labelAt(geometry) {
      // the area centroid of the largest outer ring (planar; good enough for a label)
      var polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
      var best = null, bestArea = -1;
      polys.forEach(function (poly) {
        var a = ringArea(poly[0]);
        if (a > bestArea) { bestArea = a; best = poly[0]; }
      });
      if (!best) return null;
      var sx = 0, sy = 0, sa = 0;
      for (var i = 0; i < best.length - 1; i++) {
        var c = best[i][0] * best[i + 1][1] - best[i + 1][0] * best[i][1];
        sa += c; sx += (best[i][0] + best[i + 1][0]) * c; sy += (best[i][1] + best[i + 1][1]) * c;
      }
      return sa ? [sx / (3 * sa), sy / (3 * sa)] : best[0];
    }
    function updateLabels(e, features) {
      (e.labels || []).forEach(function (m) { m.remove(); });
      e.labels = [];
      if (e.def.group !== "基础" || e.def.geometry !== "polygon" || !features || features.length > LABEL_LIMIT) return;
      features.forEach(function (f) {
        var at = f.geometry && labelAt(f.geometry);
        if (!at) return;
        var div = h("div", { "class": "onemap-label", text: f.properties.short_name || f.properties.name || "" });
        e.labels.push(new maplibregl.Marker({ element: div }).setLngLat(at));
      });
      if (e.visible) e.labels.forEach(function (m) { m.addTo(map); });
    }

    function rememberState() {
      // the open layers and the filters in the address (?layer=…&district=…), kept on reload and when sent
      var q = new URLSearchParams(window.location.search);
      q.set("layer", entries.filter(function (e) { return e.visible && !e.base; }).map(function (e) { return e.name; }).join(","));
      Object.keys(filters).forEach(function (k) { if (filters[k]) q.set(k, filters[k]); else q.delete(k); });
      var url = window.location.pathname + "?" + q.toString().replace(/%2C/g, ",") + window.location.hash;
      window.history.replaceState(window.history.state, "", url);
    }

    function updateStatus() {
      if (!hook.ready) return;
      var on = entries.filter(function (e) { return e.visible; }).length;
      status.textContent = (basemap && basemap.warning ? basemap.warning + "。" : "") +
        "共 " + entries.length + " 个图层，已打开 " + on + " 个。单击要素查看详情。";
      status.classList.toggle("error", !!(basemap && basemap.warning));
    }

    function setVisible(e, on) {
      e.visible = on;
      (e.labels || []).forEach(function (m) { if (on) m.addTo(map); else m.remove(); });
      e.styleLayers.forEach(function (id) { map.setLayoutProperty(id, "visibility", on ? "visible" : "none"); });
      if (on && e.stale) load(e);
      else if (on && e.def.kind === "mvt") { e.loaded = false; markLoaded(e); }
      if (e.row) e.row.querySelector("input").checked = on;
      refreshRow(e);
      updateExport();
      updateStatus();
      rememberState();
    }
    function zoomTo(e) {
      var b = e.bounds || e.def.bounds;
      if (!b) return;
      map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 60, maxZoom: 17, duration: 0 });
    }
    function find(name) { return entries.filter(function (x) { return x.name === name; })[0]; }
    hook.setVisible = function (name, on) { var e = find(name); if (e) setVisible(e, on); };
    hook.zoomTo = function (name) { var e = find(name); if (e) zoomTo(e); };

    // ---- the layer list
    function refreshRow(e) {
      if (!e.row) return;
      var note = e.row.querySelector(".layer-count");
      var state = !e.visible ? "off" : e.error ? "error" : e.loaded ? "ready" : "loading";
      e.row.dataset.state = state;
      note.classList.toggle("error", state === "error");
      if (state === "error") note.textContent = "加载失败：" + e.error;
      else if (state === "loading") note.textContent = "加载中…";
      else if (state === "ready" && e.count !== null) note.textContent = e.count + " 个";
      else if (state === "ready") note.textContent = "矢量瓦片";
      else note.textContent = "";
    }

    function buildLayerList() {
      var list = document.getElementById("layer-list");
      list.textContent = "";
      if (!entries.length) {
        list.appendChild(h("p", { "class": "muted", text: "没有可查看的图层（您的账号没有任何记录的读取权限）。" }));
        return;
      }
      var groups = [];
      entries.forEach(function (e) {
        var g = groups.filter(function (x) { return x.name === e.def.group; })[0];
        if (!g) { g = { name: e.def.group || "其他", items: [] }; groups.push(g); }
        g.items.push(e);
      });
      groups.sort(function (a, b) { return (a.name === BASE_GROUP) - (b.name === BASE_GROUP); });
      groups.forEach(function (g) {
        var section = h("section", { "class": "layer-group", dataset: { group: g.name } }, [h("h3", { text: g.name })]);
        g.items.forEach(function (e) {
          var def = e.def;
          var box = h("input", { type: "checkbox", "data-testid": "layer-toggle-" + e.name, checked: e.visible });
          box.checked = e.visible;
          box.addEventListener("change", function () { setVisible(e, box.checked); });
          var swatch = h("span", { "class": "swatch " + (def.geometry || "polygon") });
          var first = (def.legend && def.legend[0] && def.legend[0].colour) || (def.style && def.style.colour) || "#1f5fa8";
          swatch.style.background = first;
          var label = h("label", { "class": "layer-toggle", title: def.citation ? "依据：" + def.citation : null },
            [box, swatch, h("span", { "class": "layer-title", text: def.title }), h("span", { "class": "layer-count" })]);
          var zoom = h("button", { type: "button", "class": "layer-zoom", title: "缩放到此图层", "aria-label": "缩放到" + def.title, "data-testid": "layer-zoom-" + e.name, text: "⤢" });
          zoom.addEventListener("click", function () {
            if (!e.visible) setVisible(e, true);
            if (e.bounds || e.def.bounds) zoomTo(e);
            else e.zoomWhenLoaded = true;  // zoomed to once its features arrive
          });
          if (e.base) zoom = null;
          var row = h("div", { "class": "layer-row", dataset: { layer: e.name, state: "off" } }, [h("div", { "class": "layer-line" }, [label, zoom])]);
          if (def.legend && def.legend.length > 1) {
            var legend = h("ul", { "class": "layer-legend", "data-testid": "legend-" + e.name });
            def.legend.forEach(function (item) {
              var sw = h("span", { "class": "swatch " + (def.geometry || "polygon") });
              sw.style.background = item.colour;
              legend.appendChild(h("li", {}, [sw, item.label]));
            });
            row.appendChild(legend);
          }
          if (def.citation) row.appendChild(h("p", { "class": "layer-cite", title: def.citation, text: "依据：" + def.citation }));
          if (def.minzoom) row.appendChild(h("p", { "class": "layer-cite", text: "放大到 " + def.minzoom + " 级以上显示" }));
          section.appendChild(row);
          e.row = row;
          refreshRow(e);
        });
        list.appendChild(section);
      });
    }

    // ---- filters: one select per filter name, shared by every layer that accepts it
    function buildFilters() {
      // One control per filter name, shared by the layers that accept it. Layers offering different
      // choices under one name (项目类型 and 单元类型 are both “类型”) get one option group each.
      var box = document.getElementById("map-filters");
      var byName = {};
      var names = [];
      entries.forEach(function (e) {
        if (e.base) return;  // the base map is not filtered
        (e.def.filters || []).forEach(function (f) {
          var spec = byName[f.name];
          if (!spec) { spec = byName[f.name] = { name: f.name, label: f.label, groups: [], seen: {} }; names.push(f.name); }
          var options = f.options || [];
          options.forEach(function (o) { spec.seen[String(o[0])] = true; });
          if (!options.length) return;
          var key = JSON.stringify(options);
          var group = spec.groups.filter(function (g) { return g.key === key; })[0];
          if (group) group.titles.push(e.def.title);
          else spec.groups.push({ key: key, options: options, titles: [e.def.title] });
        });
      });
      var ORDER = ["district", "year", "status", "category", "run", "indicator"];
      names.sort(function (a, b) {
        var ia = ORDER.indexOf(a), ib = ORDER.indexOf(b);
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
      });
      if (!names.length) { box.appendChild(h("p", { "class": "muted small", text: "当前图层没有可用的筛选条件。" })); return; }
      var query = new URLSearchParams(window.location.search);
      names.forEach(function (name) {
        var f = byName[name];
        var control;
        if (f.groups.length) {
          control = h("select", { name: name, "data-testid": "filter-" + name, id: "filter-" + name });
          control.appendChild(h("option", { value: "", text: "全部" }));
          f.groups.forEach(function (g) {
            var parent = control;
            if (f.groups.length > 1) { parent = h("optgroup", { label: g.titles.join("、") }); control.appendChild(parent); }
            g.options.forEach(function (o) { parent.appendChild(h("option", { value: String(o[0]), text: o[1] })); });
          });
        } else {  // no fixed choices: free text, applied on change
          control = h("input", { type: "text", name: name, "data-testid": "filter-" + name, id: "filter-" + name, placeholder: "全部" });
        }
        var initial = query.get(name);
        if (initial && (f.seen[initial] || !f.groups.length)) { control.value = initial; filters[name] = initial; }
        control.addEventListener("change", function () {
          filters[name] = control.value;
          entries.forEach(function (e) {
            if (e.base || !(e.def.filters || []).some(function (x) { return x.name === name; })) return;
            e.stale = true;
            if (e.visible) load(e);
          });
          updateExport();
          rememberState();
        });
        box.appendChild(h("label", { "class": "filter", "for": "filter-" + name }, [h("span", { text: f.label }), control]));
      });
    }

    // ---- popups
    function popupNode(e, props) {
      var def = e.def;
      var rows = (def.popup || []).filter(function (p) { return p[0] !== "name"; }).map(function (p) {
        return h("tr", {}, [h("th", { text: p[1] }), h("td", { text: show(props[p[0]]) })]);
      });
      var children = [
        h("div", { "class": "popup-layer", text: def.title }),
        h("div", { "class": "popup-name", text: show(props.name) })
      ];
      if (rows.length) children.push(h("table", { "class": "popup-props" }, [h("tbody", {}, rows)]));
      if (props.url) children.push(h("a", { "class": "popup-link", href: props.url, "data-testid": "popup-link", text: "查看详情 ›" }));
      return h("div", { "class": "onemap-popup", "data-testid": "map-popup" }, children);
    }

    var popup = new maplibregl.Popup({ maxWidth: "320px", closeButton: true });
    function openPopup(e, props, lngLat) {
      popup.setLngLat(lngLat).setDOMContent(popupNode(e, props)).addTo(map);
    }

    function interactiveLayers() {
      return entries.filter(function (e) { return e.visible && !e.base; })
        .reduce(function (ids, e) { return ids.concat(e.styleLayers); }, [])
        .filter(function (id) { return map.getLayer(id); });
    }

    function featureAt(point) {
      // the feature a click means: points before lines before areas; within a kind the topmost
      var ids = interactiveLayers();
      if (!ids.length) return null;
      var box = [[point.x - 4, point.y - 4], [point.x + 4, point.y + 4]];
      var found = map.queryRenderedFeatures(box, { layers: ids });
      var rank = { circle: 0, line: 1, fill: 2 };
      found.sort(function (a, b) {
        return (a.layer.type in rank ? rank[a.layer.type] : 3) - (b.layer.type in rank ? rank[b.layer.type] : 3);
      });
      return found[0] || null;
    }

    map.on("click", function (ev) {
      if (tool.kind) return;
      var f = featureAt(ev.point);
      if (f) openPopup(byStyleLayer[f.layer.id], f.properties, ev.lngLat);
    });

    var hovered = null;
    function setHover(f) {
      if (hovered) map.setFeatureState(hovered, { hover: false });
      hovered = null;
      if (f && f.id !== undefined && f.id !== null) {
        hovered = { source: f.source, id: f.id };
        if (f.sourceLayer) hovered.sourceLayer = f.sourceLayer;
        map.setFeatureState(hovered, { hover: true });
      }
    }
    map.on("mousemove", function (ev) {
      if (tool.kind) { setHover(null); map.getCanvas().style.cursor = "crosshair"; return; }
      var f = featureAt(ev.point);
      setHover(f);
      map.getCanvas().style.cursor = f ? "pointer" : "";
    });
    map.getCanvas().addEventListener("mouseleave", function () { setHover(null); });

    // ---- search
    function setupSearch() {
      var input = document.getElementById("map-search");
      var list = document.getElementById("map-search-results");
      var timer = null, seq = 0;
      function clear() { list.textContent = ""; list.hidden = true; }
      function run() {
        var q = input.value.trim();
        if (!q) { clear(); return; }
        var mine = ++seq;
        fetch(withQuery(page.dataset.searchUrl, { q: q }), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : readJSON(r).then(function (b) { throw new Error(errorText(r.status, b)); }); })
          .then(function (data) {
            if (mine !== seq) return;
            var results = Array.isArray(data) ? data : (data.results || []);
            list.textContent = "";
            list.hidden = false;
            if (!results.length) { list.appendChild(h("li", { "class": "muted", text: "没有找到“" + q + "”" })); return; }
            results.forEach(function (res) {
              var e = entries.filter(function (x) { return x.name === res.layer; })[0];
              var item = h("li", {}, [h("button", { type: "button", "class": "search-hit", "data-testid": "search-hit" }, [
                h("span", { "class": "hit-name", text: (res.code && res.code !== res.name ? res.code + " " : "") + (res.name || "") }),
                h("span", { "class": "hit-layer", text: res.layer_title || (e && e.def.title) || "" })
              ])]);
              item.firstChild.addEventListener("click", function () { go(res, e); clear(); });
              list.appendChild(item);
            });
          })
          .catch(function (err) { list.textContent = ""; list.hidden = false; list.appendChild(h("li", { "class": "error", text: "搜索失败：" + err.message })); });
      }
      input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 250); });
      input.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter") {
          ev.preventDefault();
          var first = list.querySelector(".search-hit");
          if (first && !list.hidden) first.click(); else { clearTimeout(timer); run(); }
        } else if (ev.key === "Escape") clear();
      });
    }

    function go(res, e) {
      var bbox = res.bbox || (res.geometry ? geometryBounds(res.geometry) : null);
      var centre = res.center || res.centre || res.point || (bbox ? [(bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2] : null);
      if (!centre) return;
      if (e && !e.visible) setVisible(e, true);
      var props = Object.assign({ name: res.name, url: res.url }, res.properties || {});
      if (bbox && (bbox[2] - bbox[0] > 1e-6 || bbox[3] - bbox[1] > 1e-6)) {
        map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: 80, maxZoom: 16, duration: 600 });
      } else {
        map.flyTo({ center: centre, zoom: Math.max(map.getZoom(), 16), duration: 600 });
      }
      map.once("moveend", function () {
        if (!e) {
          popup.setLngLat(centre).setDOMContent(popupNode({ def: { title: res.layer_title || "", popup: [] } }, props)).addTo(map);
          return;
        }
        // the drawn feature carries every popup property; the search result only name and link
        whenLoaded(e, function () {
          var ids = e.styleLayers.filter(function (id) { return map.getLayer(id); });
          var hit = map.queryRenderedFeatures({ layers: ids }).filter(function (f) { return String(f.id) === String(res.id); })[0];
          openPopup(e, hit ? hit.properties : props, centre);
        });
      });
    }

    // ---- measuring
    var measure = { mode: null, points: [], hover: null, done: false };
    hook.measure = measure;
    var resultBox = document.getElementById("measure-result");

    function measureData() {
      var pts = measure.points.slice();
      if (!measure.done && measure.hover) pts.push(measure.hover);
      var features = pts.map(function (p) { return { type: "Feature", properties: {}, geometry: { type: "Point", coordinates: p } }; });
      if (pts.length >= 2) {
        var line = measure.mode === "area" && pts.length >= 3 ? pts.concat([pts[0]]) : pts;
        features.push({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: line } });
      }
      if (measure.mode === "area" && pts.length >= 3) {
        features.push({ type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [pts.concat([pts[0]])] } });
      }
      return { type: "FeatureCollection", features: features };
    }

    function showMeasure() {
      map.getSource("measure").setData(measureData());
      var pts = measure.points.slice();
      if (!measure.done && measure.hover) pts.push(measure.hover);
      if (!measure.mode) { resultBox.hidden = true; return; }
      resultBox.hidden = false;
      var text, metres = null, squareMetres = null;
      if (measure.mode === "distance") {
        metres = pathLength(pts);
        text = pts.length < 2 ? "单击地图开始测距，双击结束" : "距离：" + fmtLength(metres);
      } else {
        squareMetres = pts.length >= 3 ? ringArea(pts) : 0;
        metres = pts.length >= 3 ? pathLength(pts.concat([pts[0]])) : pathLength(pts);
        text = pts.length < 3 ? "单击各顶点量算面积，双击结束" : "面积：" + fmtArea(squareMetres) + "，周长：" + fmtLength(metres);
      }
      resultBox.textContent = text + (measure.done ? "" : "（量算中）");
      resultBox.dataset.metres = metres === null ? "" : String(metres);
      resultBox.dataset.squareMetres = squareMetres === null ? "" : String(squareMetres);
      resultBox.dataset.done = measure.done ? "1" : "0";
    }

    function startMeasure(mode) {
      measure.mode = mode; measure.points = []; measure.hover = null; measure.done = false;
      tool.kind = mode ? "measure" : (draw.active ? "draw" : null);
      map.doubleClickZoom[mode ? "disable" : "enable"]();
      document.querySelectorAll("[data-measure]").forEach(function (b) { b.classList.toggle("active", b.dataset.measure === mode); });
      popup.remove();
      showMeasure();
    }

    function setupMeasure() {
      map.addSource("measure", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "measure-fill", type: "fill", source: "measure", filter: ["==", ["geometry-type"], "Polygon"],
        paint: { "fill-color": "#e8590c", "fill-opacity": 0.15 } });
      map.addLayer({ id: "measure-line", type: "line", source: "measure", filter: ["==", ["geometry-type"], "LineString"],
        paint: { "line-color": "#e8590c", "line-width": 2.5, "line-dasharray": [2, 1] } });
      map.addLayer({ id: "measure-points", type: "circle", source: "measure", filter: ["==", ["geometry-type"], "Point"],
        paint: { "circle-radius": 4, "circle-color": "#ffffff", "circle-stroke-color": "#e8590c", "circle-stroke-width": 2 } });
      document.querySelectorAll("[data-measure]").forEach(function (b) {
        b.addEventListener("click", function () {
          var mode = b.dataset.measure;
          startMeasure(mode === "clear" || mode === measure.mode ? null : mode);
        });
      });
      map.on("click", function (ev) {
        if (tool.kind !== "measure") return;
        if (measure.done) { measure.points = []; measure.done = false; }
        measure.points.push([ev.lngLat.lng, ev.lngLat.lat]);
        showMeasure();
      });
      map.on("mousemove", function (ev) {
        if (tool.kind !== "measure" || measure.done || !measure.points.length) return;
        measure.hover = [ev.lngLat.lng, ev.lngLat.lat];
        showMeasure();
      });
      document.addEventListener("keydown", function (ev) {
        if (ev.key === "Escape" && measure.mode) startMeasure(null);  // Esc ends measuring
      });
      map.on("dblclick", function (ev) {
        if (tool.kind !== "measure") return;
        ev.preventDefault();
        measure.points = dedupe(measure.points);
        measure.done = true; measure.hover = null;
        showMeasure();
      });
    }

    function dedupe(points) {
      // a double-click's two clicks add the same vertex twice
      var out = [];
      points.forEach(function (p) {
        var last = out[out.length - 1];
        if (last) {
          var a = map.project(last), b = map.project(p);
          if (Math.abs(a.x - b.x) < 3 && Math.abs(a.y - b.y) < 3) return;
        }
        out.push(p);
      });
      return out;
    }

    // ---- export of the current view
    function updateExport() {
      // One query string for every exported layer: a layer that accepts a filter but does not know the
      // chosen value (a 项目类型 for the check-up units) is left out, and the note says so.
      var box = document.getElementById("map-export");
      var note = document.getElementById("export-note");
      var shown = entries.filter(function (e) { return e.visible && !e.base; });
      var extra = {};
      Object.keys(filters).forEach(function (k) { if (filters[k]) extra[k] = filters[k]; });
      var left = [];
      var exported = shown.filter(function (e) {
        var own = layerParams(e);
        var misfit = (e.def.filters || []).some(function (f) { return extra[f.name] && own[f.name] !== extra[f.name]; });
        if (misfit) left.push(e.def.title);
        return !misfit;
      });
      var bounds = map.getBounds();
      var bbox = [Math.max(-180, bounds.getWest()), Math.max(-90, bounds.getSouth()),
        Math.min(180, bounds.getEast()), Math.min(90, bounds.getNorth())].map(function (v) { return v.toFixed(6); }).join(",");
      box.querySelectorAll("a[data-format]").forEach(function (a) {
        if (!exported.length) { a.removeAttribute("href"); a.setAttribute("aria-disabled", "true"); return; }
        a.removeAttribute("aria-disabled");
        a.href = withQuery(page.dataset.exportUrl, Object.assign({
          layers: exported.map(function (e) { return e.name; }).join(","), bbox: bbox, format: a.dataset.format
        }, extra));
      });
      var text = exported.length ? "将导出：" + exported.map(function (e) { return e.def.title; }).join("、") + "。"
        : "请先打开至少一个图层。";
      if (left.length) text += "不适用当前筛选、未包含：" + left.join("、") + "。";
      note.textContent = text;
    }

    // ---- drawing a project's geometry (?draw=project:<id>)
    var draw = { active: false, kind: "Point", points: [], project: null };
    hook.draw = draw;

    function setupDraw() {
      var target = (params.get("draw") || "").match(/^project:(.+)$/);
      if (!target) return;
      var panel = document.getElementById("draw-panel");
      var statusLine = document.getElementById("draw-status");
      var api = page.dataset.projectApi.replace("PROJECT", encodeURIComponent(target[1]));
      panel.hidden = false;
      map.addSource("draw", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "draw-fill", type: "fill", source: "draw", filter: ["==", ["geometry-type"], "Polygon"],
        paint: { "fill-color": "#d6336c", "fill-opacity": 0.2 } });
      map.addLayer({ id: "draw-line", type: "line", source: "draw", filter: ["!=", ["geometry-type"], "Point"],
        paint: { "line-color": "#d6336c", "line-width": 2.5 } });
      map.addLayer({ id: "draw-points", type: "circle", source: "draw", filter: ["==", ["geometry-type"], "Point"],
        paint: { "circle-radius": 6, "circle-color": "#d6336c", "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } });

      function say(text, kind) {
        statusLine.textContent = text;
        statusLine.className = "draw-status" + (kind ? " " + kind : "");
        statusLine.dataset.kind = kind || "";
      }
      function geometry() {
        if (draw.kind === "Point") return draw.points.length ? { type: "Point", coordinates: draw.points[0] } : null;
        if (draw.points.length < 3) return null;
        return { type: "Polygon", coordinates: [draw.points.concat([draw.points[0]])] };
      }
      function redraw() {
        var features = draw.points.map(function (p) { return { type: "Feature", properties: {}, geometry: { type: "Point", coordinates: p } }; });
        if (draw.kind === "Polygon" && draw.points.length >= 2) {
          var g = draw.points.length >= 3 ? { type: "Polygon", coordinates: [draw.points.concat([draw.points[0]])] }
            : { type: "LineString", coordinates: draw.points };
          features.push({ type: "Feature", properties: {}, geometry: g });
        }
        map.getSource("draw").setData({ type: "FeatureCollection", features: features });
      }
      function showProject(p) {
        var loc = p.location;
        if (loc && loc.type === "Point") { draw.kind = "Point"; draw.points = [loc.coordinates]; }
        else if (loc && loc.type === "Polygon") { draw.kind = "Polygon"; draw.points = loc.coordinates[0].slice(0, -1); }
        else if (loc && loc.type === "MultiPolygon") { draw.kind = "Polygon"; draw.points = loc.coordinates[0][0].slice(0, -1); }
        else draw.points = [];
        panel.querySelector("input[value=" + draw.kind + "]").checked = true;
        redraw();
        if (loc) {
          var b = geometryBounds(loc);
          if (b[0] === b[2]) map.flyTo({ center: [b[0], b[1]], zoom: 16, duration: 0 });
          else map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 80, maxZoom: 17, duration: 0 });
        }
      }

      document.getElementById("draw-target").textContent = "正在读取项目…";
      fetch(api, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return readJSON(r).then(function (b) { if (!r.ok) throw new Error(errorText(r.status, b)); return b; }); })
        .then(function (p) {
          draw.project = p;
          var title = document.getElementById("draw-target");
          title.textContent = "";
          title.appendChild(h("a", { href: "/projects/" + encodeURIComponent(p.code) + "/", text: p.code + " " + p.name }));
          title.appendChild(h("span", { "class": "draw-has", text: p.location ? "（已有" + (p.location.type === "Point" ? "位置点" : "范围面") + "）" : "（尚无位置）" }));
          showProject(p);
          if (!p.can_edit) {
            panel.querySelectorAll("button, input").forEach(function (x) { x.disabled = true; });
            say("您没有修改项目 " + p.code + " 的权限，只能查看其位置。", "error");
            return;
          }
          draw.active = true;
          if (!measure.mode) tool.kind = "draw";
          map.doubleClickZoom.disable();
          say("单击地图标绘，完成后点“保存位置”。", "");
        })
        .catch(function (err) {
          document.getElementById("draw-target").textContent = "";
          say("无法读取项目：" + err.message, "error");
        });

      panel.querySelectorAll("input[name=draw-kind]").forEach(function (radio) {
        radio.addEventListener("change", function () { draw.kind = radio.value; draw.points = []; redraw(); });
      });
      document.getElementById("draw-undo").addEventListener("click", function () { draw.points.pop(); redraw(); });
      document.getElementById("draw-clear").addEventListener("click", function () { draw.points = []; redraw(); });
      map.on("click", function (ev) {
        if (tool.kind !== "draw") return;
        var p = [ev.lngLat.lng, ev.lngLat.lat];
        if (draw.kind === "Point") draw.points = [p];
        else draw.points.push(p);
        redraw();
      });
      map.on("dblclick", function (ev) {
        if (tool.kind !== "draw") return;
        ev.preventDefault();
        draw.points = dedupe(draw.points);
        redraw();
      });
      document.getElementById("draw-save").addEventListener("click", function () {
        var g = geometry();
        if (!g) { say(draw.kind === "Point" ? "请先在地图上单击落点。" : "范围面至少需要 3 个顶点。", "error"); return; }
        var p = draw.project;
        say("正在保存…", "");
        fetch(api, {
          method: "PATCH", credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify({ location: g, row_version: p.row_version })
        })
          .then(function (r) { return readJSON(r).then(function (b) { return { status: r.status, ok: r.ok, body: b }; }); })
          .then(function (res) {
            statusLine.dataset.status = String(res.status);
            if (!res.ok) { say(errorText(res.status, res.body), "error"); return; }
            draw.project = res.body;
            var note = document.querySelector("#draw-target .draw-has");
            if (note) note.textContent = "（已有" + (g.type === "Point" ? "位置点" : "范围面") + "）";
            say("已保存项目 " + res.body.code + " 的" + (g.type === "Point" ? "位置点" : "范围面") + "（第 " + res.body.row_version + " 版）。", "ok");
            entries.forEach(function (e) { if (!e.base) { e.stale = true; if (e.visible) load(e); } });
          })
          .catch(function (err) { say("保存失败：" + err.message, "error"); });
      });
    }

    // ---- ?focus=<layer>:<id>: open the map on one record (“在地图上查看” on a record's page)
    function focusRecord() {
      var m = (params.get("focus") || "").match(/^([^:]+):(.+)$/);
      var e = m && find(m[1]);
      if (!e) return;
      if (!e.visible) setVisible(e, true);
      whenLoaded(e, function () {
        var f = (e.features || []).filter(function (x) { return String(x.id) === m[2]; })[0];
        if (!f || !f.geometry) { status.textContent = "该记录没有位置，或不在当前筛选结果中。"; return; }
        var b = geometryBounds(f.geometry);
        var centre = [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
        if (b[0] === b[2] && b[1] === b[3]) map.jumpTo({ center: centre, zoom: 16 });
        else map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 80, maxZoom: 17, duration: 0 });
        whenIdle(function () { openPopup(e, f.properties, centre); });
      });
    }

    // ---- go
    buildLayerList();
    buildFilters();
    setupSearch();
    map.on("load", function () {
      addSources();
      setupMeasure();
      setupDraw();
      entries.forEach(function (e) { if (e.visible) load(e); });
      focusRecord();
      updateExport();
      map.on("moveend", updateExport);
      map.once("idle", function () {
        hook.ready = true;
        document.getElementById("onemap").dataset.ready = "1";
        updateStatus();
      });
    });
    map.on("error", function (ev) {
      // a failing tile (e.g. the online base map unreachable) is reported, the map keeps working
      if (ev && ev.error && ev.sourceId && /^basemap-/.test(ev.sourceId)) {
        status.textContent = "在线底图加载失败（" + ev.sourceId + "），请检查网络或底图配置。";
        status.classList.add("error");
      }
    });
    hook.length = pathLength;
    hook.area = ringArea;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
