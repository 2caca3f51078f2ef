"""Forms of the reference-layer pages (参考图层): load a geometry file, or an OSM extract.

Both check what they can before a job is launched, so a bad file is refused on the page with a Chinese
message and nothing is written: the upload limits and the content sniff of :mod:`cityrenew.core.uploads`,
the layer name, a layer of that name that exists without “替换同名图层”; for a geometry file of at most
``CITYRENEW_IMPORT_JOB_ROWS`` features the whole check of the loader too (read, CRS, coordinates
outside lon/lat or the city, empty layer, mixed geometry types) — a larger file is checked by the job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from cityrenew.core.geofiles import (
    CRS_CHOICES,
    FORMATS_TEXT,
    GeoFileError,
    feature_count,
    readable,
)
from cityrenew.core.uploads import (
    LAYER_FILE_SUFFIXES,
    form_upload_error,
    geodata_content_error,
)

from .loaders import (
    OSM_LAYERS,
    LayerSpec,
    LoadError,
    check_features,
    check_name,
    city_bounds,
    read_file_features,
)
from .models import ReferenceLayer, ReferenceLayerKind

EMPTY_FILE = "上传的文件是空的（0 字节），请检查后重新上传"


def named(message: str, path: Path, filename: str) -> str:
    """``message`` about the stashed file, naming the file the user uploaded instead of its random name."""
    if path.name in message:
        return message.replace(path.name, filename)
    return f"文件“{filename}”：{message}"


class ReferenceLayerLoadForm(forms.Form):  # 载入参考图层（地理数据文件）
    file = forms.FileField(label="地理数据文件", help_text=FORMATS_TEXT,
                           error_messages={"required": "请选择要载入的文件", "empty": EMPTY_FILE})
    name = forms.CharField(label="图层标识", max_length=64, help_text="英文小写字母、数字和连字符，如 dev-zones；在一张图中显示为 ref-标识")
    title = forms.CharField(label="图层名称", max_length=100, error_messages={"required": "请填写图层名称"})
    kind = forms.ChoiceField(label="类型", choices=ReferenceLayerKind.choices, initial=ReferenceLayerKind.OTHER,
                             help_text="建筑轮廓、绿地、边界只接受面；道路只接受线")
    crs = forms.ChoiceField(label="坐标系", choices=CRS_CHOICES, required=False)
    epsg = forms.CharField(label="EPSG 代码", required=False, max_length=40, help_text="坐标系选“其他 EPSG 代码”时填写，如 EPSG:4545")
    licence = forms.CharField(label="许可", required=False, max_length=100, help_text="如 ODbL、政府公开信息")
    basemap = forms.BooleanField(label="用作底图", required=False, help_text="在一张图中作为离线底图的一层显示")
    replace = forms.BooleanField(label="替换同名图层", required=False, help_text="已有同一标识的图层时，在同一事务内删除旧要素后写入")
    anywhere = forms.BooleanField(label="不检查是否位于本市范围内", required=False,
                                  help_text="默认拒绝落在已载入区划边界之外的图层（通常是坐标系不对）")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        try:
            check_name(name)
        except LoadError as exc:
            raise ValidationError(str(exc)) from None
        return name

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise ValidationError("请填写图层名称")
        return title

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if (err := form_upload_error(f, "geodata") or geodata_content_error(f, LAYER_FILE_SUFFIXES)):
            raise ValidationError(err)
        return f

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("crs") == "epsg" and not (data.get("epsg") or "").strip():
            self.add_error("epsg", "请填写 EPSG 代码，如 EPSG:4545")
        name = data.get("name")
        if name and not data.get("replace"):
            existing = ReferenceLayer.objects.filter(name=name).first()
            if existing is not None:
                self.add_error("name", f"参考图层“{name}”（{existing.title}）已存在，共 {existing.feature_count:,} 个要素；"
                                       "如需替换请勾选“替换同名图层”")
        return data

    def declared_crs(self) -> str:
        crs = self.cleaned_data.get("crs") or ""
        return self.cleaned_data["epsg"].strip() if crs == "epsg" else crs

    def bounds(self) -> tuple[float, float, float, float] | None:
        return None if self.cleaned_data.get("anywhere") else city_bounds()

    def check_stashed(self, path: Path) -> bool:
        """Run the loader's checks on the stashed file when it is small (see the module doc); the reason
        goes on the file field. True when the file passed or is left to the job."""
        try:
            with readable(path) as p:
                n = feature_count(p)
        except GeoFileError as exc:
            self.add_error("file", named(exc.message, path, self.cleaned_data["file"].name))
            return False
        if n > settings.CITYRENEW_IMPORT_JOB_ROWS:
            return True
        data = self.cleaned_data
        spec = LayerSpec(name=data["name"], title=data["title"], kind=data["kind"])
        try:
            feats, _ = read_file_features(path, crs=self.declared_crs() or None)
            check_features(spec, feats, strict=True, bounds=self.bounds())
        except LoadError as exc:
            self.add_error("file", named(str(exc), path, data["file"].name))
            return False
        return True


class OsmLoadForm(forms.Form):  # 载入 OSM 提取
    osm_file = forms.FileField(label="OSM 提取文件（.osm.pbf）", help_text="如 Geofabrik 的省级提取或用 osmium 裁剪的本市范围",
                               error_messages={"required": "请选择 .osm.pbf 文件", "empty": EMPTY_FILE})
    layers = forms.MultipleChoiceField(label="图层", choices=[(k, v.title) for k, v in OSM_LAYERS.items()],
                                       initial=list(OSM_LAYERS), widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": "请至少选择一个图层"},
                                       help_text="载入为 osm-buildings、osm-roads、osm-water、osm-green；道路、水系、绿地用作底图")
    replace = forms.BooleanField(label="替换同名图层", required=False, help_text="已载入的 OSM 图层在同一事务内替换")

    def clean_osm_file(self) -> Any:
        f = self.cleaned_data["osm_file"]
        if not (f.name or "").lower().endswith(".osm.pbf"):
            raise ValidationError(f"不支持的文件类型“{f.name}”：请上传 OpenStreetMap 的 .osm.pbf 文件")
        if (err := form_upload_error(f, "geodata") or geodata_content_error(f, (".pbf",))):
            raise ValidationError(err)
        return f

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        keys = data.get("layers") or []
        if keys and not data.get("replace"):
            names = [f"osm-{k}" for k in keys]
            found = list(ReferenceLayer.objects.filter(name__in=names).order_by("name").values_list("name", flat=True))
            if found:
                self.add_error("replace", f"参考图层 {'、'.join(found)} 已存在；如需替换请勾选“替换同名图层”")
        return data
