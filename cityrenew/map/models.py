"""Reference layers (参考图层): geometry the city holds that is not a record of its own.

Building footprints, roads and water from an OSM extract (the offline base map), development-zone or
other boundaries imported from a file, a consultant's survey layer: each is a :class:`ReferenceLayer`
with its source, licence and declared CRS, and its features are rows of :class:`ReferenceFeature` in
WGS84 with a spatial index, so a layer of a million polygons is served as vector tiles from the database.
"""

from __future__ import annotations

from django.contrib.gis.db import models as gis_models
from django.db import models
from django.urls import reverse

from cityrenew.core.models import AuditedModel


class ReferenceLayerKind(models.TextChoices):
    BUILDINGS = "buildings", "建筑轮廓"
    ROADS = "roads", "道路"
    WATER = "water", "水系"
    GREEN = "green", "绿地"
    BOUNDARIES = "boundaries", "边界"
    OTHER = "other", "其他"


class ReferenceLayer(AuditedModel):
    name = models.SlugField("图层标识", max_length=64, unique=True, help_text="英文小写、数字和连字符，用于地址")
    title = models.CharField("图层名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=ReferenceLayerKind.choices, default=ReferenceLayerKind.OTHER)
    source = models.CharField("来源", max_length=300, blank=True, help_text="文件名、数据提供方")
    licence = models.CharField("许可", max_length=100, blank=True, help_text="如 ODbL（OpenStreetMap）")
    source_crs = models.CharField("原始坐标系", max_length=64, blank=True, help_text="如 EPSG:4326、EPSG:4490、GCJ-02")
    basemap = models.BooleanField("用作离线底图", default=False)
    feature_count = models.PositiveIntegerField("要素数", default=0, editable=False)
    repaired_count = models.PositiveIntegerField("已修复的无效几何数", default=0, editable=False)
    extent = gis_models.PolygonField("范围", srid=4326, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "参考图层"
        verbose_name_plural = "参考图层"
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("map:page") + f"?layer=ref-{self.name}"


class ReferenceFeature(models.Model):
    """One feature of a reference layer. Not audited row by row (a layer is loaded or replaced as a whole,
    and that load is audited on the layer)."""

    layer = models.ForeignKey(ReferenceLayer, verbose_name="图层", on_delete=models.CASCADE, related_name="features")
    name = models.CharField("名称", max_length=200, blank=True)
    category = models.CharField("分类", max_length=64, blank=True, help_text="如道路等级、建筑类型")
    properties = models.JSONField("属性", default=dict, blank=True)
    geom = gis_models.GeometryField("几何（WGS84）", srid=4326, spatial_index=True)

    class Meta:
        verbose_name = "参考要素"
        verbose_name_plural = "参考要素"
        indexes = [models.Index(fields=["layer", "category"])]

    def __str__(self) -> str:
        return self.name or f"{self.layer.name}#{self.pk}"
