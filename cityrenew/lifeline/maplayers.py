"""Map layer of lifeline monitoring: the devices, coloured by their most severe active alarm (一张图)."""

from __future__ import annotations

from django.db.models import CharField, Min, Q, Value
from django.db.models.functions import Cast, Coalesce

from cityrenew.map.features import RecordURL, choice_label
from cityrenew.map.filters import choice_filter, choice_options, district_ids, district_options
from cityrenew.map.registry import GEOJSON, Layer, register

from .choices import Sector
from .models import Device
from .policy import LIFELINE

STATE_COLOURS = {"1": "#c92a2a", "2": "#e8590c", "3": "#f0b400", "4": "#1c7ed6", "normal": "#2b8a3e"}


def devices(request):
    return Device.objects.exclude(location=None).annotate(
        alarm_rank=Min("alarms__level_rank", filter=Q(alarms__status="active")),
    ).annotate(state=Coalesce(Cast("alarm_rank", CharField()), Value("normal")))


register(Layer(
    name="lifeline-devices", title="城市生命线感知设备", group="城市生命线", kind=GEOJSON,
    queryset=devices, geom_field="location", geometry="point",
    properties={"code": "code", "name": "name", "sector_label": choice_label("sector", Sector.choices),
                "state": "state", "url": RecordURL("lifeline:device_detail", "pk")},
    popup=[("code", "设备编码"), ("name", "名称"), ("sector_label", "行业"), ("state", "状态（报警等级序号）")],
    filters={"sector": choice_filter("sector", "sector", Sector.choices),
             "district": lambda qs, v: qs.filter(district_id__in=district_ids(v))},
    filter_options={"sector": choice_options(Sector.choices), "district": district_options},
    search=("code", "name"),
    style={"colour_by": "state", "colours": STATE_COLOURS, "colour": "#2b8a3e"},
    legend=[{"label": "一级/红色报警", "colour": STATE_COLOURS["1"]}, {"label": "二级/橙色报警", "colour": STATE_COLOURS["2"]},
            {"label": "三级/黄色报警", "colour": STATE_COLOURS["3"]}, {"label": "四级/蓝色报警", "colour": STATE_COLOURS["4"]},
            {"label": "正常", "colour": STATE_COLOURS["normal"]}],
    citation=str(LIFELINE), order=60,
))
