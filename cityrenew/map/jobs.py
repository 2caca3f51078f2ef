"""Background jobs of the one map (see :mod:`cityrenew.jobs`): a large export of the current view, and
loading a reference layer uploaded from the page.

The page stashes the upload (:func:`cityrenew.core.uploads.stash_upload` with :data:`UPLOAD_KIND`) and
launches ``map.load_layer`` (a GeoPackage / zipped Shapefile / GeoJSON; ``layer_name``, ``layer_title``,
``layer_kind``; ``launch`` keeps ``title``/``kind`` for the job itself) or ``map.load_osm`` (an
``.osm.pbf``) with the token. The loaders check every feature first (progress reported), then write
the layer in one transaction, so a failed or killed job leaves the previous layer as it was.
"""

from __future__ import annotations

import os
from typing import Any

from django.http import QueryDict
from django.urls import reverse

from cityrenew.core.uploads import stashed_upload
from cityrenew.jobs.models import Job, JobError
from cityrenew.jobs.registry import register

from . import exports
from .loaders import (
    LAYER_SUFFIXES,
    LoadError,
    LoadResult,
    city_bounds,
    load_file,
    load_osm,
    parse_layer_keys,
)

UPLOAD_KIND = "reference-layers"
OSM_SUFFIXES = (".pbf",)


@register("map.export", title="导出一张图", idempotent=True)
def export_job(job: Job, *, query: str) -> dict[str, Any]:
    """The export of ``query`` (the page's query string) as its owner may read it."""
    request = exports.LayerRequest(user=job.owner, GET=QueryDict(query))
    try:
        plan = exports.plan(request)
    except (exports.ExportError, LookupError) as exc:
        raise JobError(str(exc)) from None
    name = plan.filename
    with job.result_file_path(name) as tmp:
        # written under its own extension (GDAL names the GeoPackage by it), then moved onto the job's
        # temporary name, which the job renames into place
        staged = tmp.with_name(tmp.name + exports.FORMATS[plan.format][2])
        try:
            n = exports.write(plan, staged, job.progress)
            os.replace(staged, tmp)
        except exports.ExportError as exc:
            raise JobError(str(exc)) from None
        finally:
            staged.unlink(missing_ok=True)
    return {"text": f"已导出 {len(plan.layers)} 个图层共 {n} 个要素（{exports.FORMATS[plan.format][0]}）"}


def _summary(results: list[LoadResult]) -> dict[str, Any]:
    links = []
    for r in results:
        links.append({"label": f"在一张图中查看“{r.layer.title}”", "url": r.layer.get_absolute_url()})
        links.append({"label": f"参考图层“{r.layer.title}”", "url": reverse("map:reference_detail", args=[r.layer.name])})
    return {"text": "；".join(r.headline() for r in results), "links": links}


@register("map.load_layer", title="载入参考图层", atomic=False)
def load_layer_job(job: Job, *, token: str, filename: str = "", layer_name: str, layer_title: str, layer_kind: str = "other",
                   crs: str = "", licence: str = "", basemap: bool = False, replace: bool = False,
                   anywhere: bool = False) -> dict[str, Any]:
    path = stashed_upload(UPLOAD_KIND, token, LAYER_SUFFIXES)
    if path is None:
        raise JobError("上传的图层文件已失效，请重新上传")
    try:
        result = load_file(path, name=layer_name, title=layer_title, kind=layer_kind, crs=crs or None, source=filename or path.name,
                           licence=licence, basemap=basemap, replace=replace, user=job.owner,
                           bounds=None if anywhere else city_bounds(), progress=job.progress)
    except LoadError as exc:  # named by the uploaded file's name, not the stashed file's random one
        raise JobError(str(exc).replace(path.name, filename) if filename else str(exc)) from None
    path.unlink(missing_ok=True)
    return _summary([result])


@register("map.load_osm", title="载入 OSM 底图数据", atomic=False)
def load_osm_job(job: Job, *, token: str, filename: str = "", layers: str = "", replace: bool = False) -> dict[str, Any]:
    path = stashed_upload(UPLOAD_KIND, token, OSM_SUFFIXES)
    if path is None:
        raise JobError("上传的 OSM 文件已失效，请重新上传")
    try:
        results = load_osm(path, parse_layer_keys(layers), replace=replace, user=job.owner, progress=job.progress,
                           source_name=filename or path.name)
    except LoadError as exc:
        raise JobError(str(exc)) from None
    path.unlink(missing_ok=True)
    return _summary(results)
