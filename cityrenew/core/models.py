"""Core models: 行政区划, 组织, 角色, 审计日志, and the audited base model."""

from __future__ import annotations

from typing import Any, Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.db import models as gis_models
from django.db import models, router, transaction
from django.urls import NoReverseMatch, reverse

from . import audit
from .choices import AuditAction, AuditSource, OrganisationKind, RegionKind, RegionLevel, Role


class AuditLog(models.Model):  # 审计日志
    timestamp = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL
    )
    user_name = models.CharField("操作人名称", max_length=150, blank=True)
    source = models.CharField("来源", max_length=16, choices=AuditSource.choices, default=AuditSource.SYSTEM)
    request_id = models.CharField("请求编号", max_length=32, blank=True, db_index=True)
    action = models.CharField("动作", max_length=16, choices=AuditAction.choices)
    content_type = models.ForeignKey(ContentType, verbose_name="对象类型", on_delete=models.PROTECT)
    object_id = models.CharField("对象编号", max_length=64, db_index=True)
    object_repr = models.CharField("对象", max_length=300)
    changes = models.JSONField("变更内容", default=dict, blank=True)  # {field: [old, new]}
    note = models.CharField("备注", max_length=300, blank=True)
    object_version = models.PositiveIntegerField(
        "对象版本", null=True, blank=True, help_text="本次变更后对象的版本号（row_version）；批量导入写入的记录为空"
    )

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-timestamp"])]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M} {self.user_name or '系统'} {self.get_action_display()} {self.object_repr}"

    @classmethod
    def record(
        cls,
        obj: models.Model,
        action: str,
        changes: dict[str, Any] | None = None,
        note: str = "",
    ) -> "AuditLog":
        entry = cls.entry(obj, action, changes, note)
        entry.save(force_insert=True)
        return entry

    @classmethod
    def entry(
        cls,
        obj: models.Model,
        action: str,
        changes: dict[str, Any] | None = None,
        note: str = "",
        *,
        object_repr: str | None = None,
        object_version: int | None = None,
    ) -> "AuditLog":
        """The unsaved log row :meth:`record` writes — for writers that store many rows at once
        (``AuditLog.objects.bulk_create``); ``object_repr``/``object_version`` when the caller knows them
        without a query (``str(obj)`` may follow foreign keys)."""
        ctx = audit.current()
        user = ctx.user if getattr(ctx.user, "is_authenticated", False) else None
        return cls(
            user=user,
            user_name=(user.get_username() if user else ""),
            source=ctx.source,
            request_id=ctx.request_id,
            action=action,
            content_type=ContentType.objects.get_for_model(obj.__class__),
            object_id=str(obj.pk),
            object_repr=(str(obj) if object_repr is None else object_repr)[:300],
            changes=audit.to_jsonable(changes or {}),
            note=(note or ctx.note)[:300],
            object_version=getattr(obj, "row_version", None) if object_version is None else object_version,
        )

    @classmethod
    def for_object(cls, obj: models.Model) -> models.QuerySet["AuditLog"]:
        return cls.objects.filter(
            content_type=ContentType.objects.get_for_model(obj.__class__), object_id=str(obj.pk)
        ).select_related("user")


class StaleObjectError(Exception):
    """Raised by :meth:`AuditedModel.save` when the row changed since the instance's ``row_version``.

    ``obj`` is the instance that could not be saved; ``expected`` the version it was based on.
    :mod:`cityrenew.core.concurrency` turns it into a Chinese message listing what changed since.
    """

    def __init__(self, obj: models.Model, expected: int) -> None:
        self.obj = obj
        self.expected = expected
        super().__init__(f"{obj._meta.verbose_name}“{obj}”已被他人修改（您基于第 {expected} 版）")


class AuditedQuerySet(models.QuerySet):
    """A queryset whose ``update()`` (and so ``bulk_update()``) also bumps ``row_version``."""

    def update(self, **kwargs: Any) -> int:
        if "row_version" not in kwargs:
            kwargs["row_version"] = models.F("row_version") + 1
        return super().update(**kwargs)

    update.alters_data = True  # type: ignore[attr-defined]


class AuditedModel(models.Model):
    """Base model whose every create/update/delete is written to :class:`AuditLog`.

    Field values as loaded from the database are kept, so an update records only the fields that
    really changed (``{"field": [old, new]}``); a save that changes nothing writes no log row.
    Many-to-many changes are recorded by :mod:`cityrenew.core.signals`.

    Optimistic concurrency (乐观锁): ``row_version`` starts at 1 and every ``save()`` of an existing
    row runs ``UPDATE … SET row_version = v + 1 WHERE id = ? AND row_version = v``, where ``v`` is the
    instance's ``row_version`` (as loaded, or as an edit form / ``If-Match`` header set it). When no
    row matches because someone else saved first, :class:`StaleObjectError` is raised and nothing is
    written — two writers can never both win. ``QuerySet.update()``/``bulk_update()`` bump the
    version too (:class:`AuditedQuerySet`). Each audit row stores the version it produced
    (``AuditLog.object_version``), so "what changed since version v" is a query.
    """

    row_version = models.PositiveIntegerField("版本", default=1, editable=False)

    objects = AuditedQuerySet.as_manager()

    audit_exclude: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):  # type: ignore[override]
        instance = super().from_db(db, field_names, values)
        instance._audit_loaded = dict(zip(field_names, values))
        return instance

    def _audit_fields(self) -> Iterable[models.Field]:
        for f in self._meta.concrete_fields:
            if f.primary_key or f.name == "row_version" or f.name in self.audit_exclude:
                continue
            yield f

    def audit_snapshot(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.attname) for f in self._audit_fields()}

    def audit_diff(self) -> dict[str, list[Any]]:
        loaded = getattr(self, "_audit_loaded", None)
        if loaded is None:
            return {}
        diff: dict[str, list[Any]] = {}
        for f in self._audit_fields():
            if f.attname not in loaded:
                continue
            old = f.to_python(loaded[f.attname]) if loaded[f.attname] is not None else None
            new = getattr(self, f.attname)
            if new is not None:
                try:
                    new = f.to_python(new)
                except Exception:  # validation happens elsewhere; record what we have
                    pass
            if old != new:
                diff[f.name] = [old, new]
        return diff

    def save(self, *args: Any, **kwargs: Any) -> None:
        creating = self._state.adding or self.pk is None
        diff = {} if creating else self.audit_diff()
        expected = None
        if not creating:
            expected = self.row_version or 0
            self.row_version = expected + 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "row_version" not in update_fields:
                kwargs["update_fields"] = [*update_fields, "row_version"]
        if creating:
            super().save(*args, **kwargs)
            snap = {k: [None, v] for k, v in self.audit_snapshot().items() if v not in (None, "")}
            AuditLog.record(self, AuditAction.CREATE, snap)
        else:
            # the update and its audit row together; a savepoint inside an outer transaction, so a
            # refused (stale) save leaves the caller's transaction usable
            self._row_version_expected = expected
            try:
                with transaction.atomic(using=kwargs.get("using") or router.db_for_write(type(self), instance=self)):
                    super().save(*args, **kwargs)
                    if diff:
                        AuditLog.record(self, AuditAction.UPDATE, diff)
            except BaseException:
                self.row_version = expected
                raise
            finally:
                self._row_version_expected = None
        self._audit_loaded = {f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields}

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):  # type: ignore[override]
        expected = getattr(self, "_row_version_expected", None)
        if expected is None or not any(f.name == "row_version" for f in base_qs.model._meta.local_concrete_fields):
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        updated = super()._do_update(base_qs.filter(row_version=expected), using, pk_val, values, update_fields, True)
        if not updated and base_qs.filter(pk=pk_val).exists():
            raise StaleObjectError(self, expected)
        return updated

    def delete(self, *args: Any, **kwargs: Any):
        snap = {k: [v, None] for k, v in self.audit_snapshot().items() if v not in (None, "")}
        AuditLog.record(self, AuditAction.DELETE, snap)
        return super().delete(*args, **kwargs)

    def get_history(self) -> models.QuerySet[AuditLog]:
        return AuditLog.for_object(self)


class Region(AuditedModel):  # 行政区划
    code = models.CharField("区划代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64)
    short_name = models.CharField("简称", max_length=32, blank=True, help_text="项目库等表格中使用的名称，如“管城区”")
    aliases = models.CharField("别名", max_length=200, blank=True, help_text="以“、”分隔")
    level = models.CharField("层级", max_length=16, choices=RegionLevel.choices)
    kind = models.CharField("类型", max_length=32, choices=RegionKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField("层级路径", max_length=255, db_index=True, editable=False)
    group = models.ForeignKey(
        "RegionGroup", verbose_name="片区分组", null=True, blank=True, on_delete=models.SET_NULL, related_name="regions"
    )
    order = models.PositiveIntegerField("排序", default=0)
    boundary = gis_models.MultiPolygonField("边界（WGS84）", srid=4326, null=True, blank=True, spatial_index=True)
    boundary_source = models.CharField("边界来源", max_length=200, blank=True)
    centroid_lon = models.FloatField("中心经度（WGS84）", null=True, blank=True)
    centroid_lat = models.FloatField("中心纬度（WGS84）", null=True, blank=True)

    audit_exclude = ("path",)

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["path", "order", "code"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def all_names(self) -> list[str]:
        names = [self.name]
        if self.short_name:
            names.append(self.short_name)
        names += [a.strip() for a in self.aliases.replace(",", "、").split("、") if a.strip()]
        return names

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.path = (self.parent.path if self.parent_id else "/") + f"{self.code}/"
        super().save(*args, **kwargs)

    def descendants(self, include_self: bool = True) -> models.QuerySet["Region"]:
        qs = Region.objects.filter(path__startswith=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)

    def ancestors(self) -> list["Region"]:
        codes = [c for c in self.path.strip("/").split("/") if c]
        by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    def place_label(self) -> str:
        """Where the region lies below its city: “中原区 · 绿东村街道”."""
        below = (RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY)
        return " · ".join(r.display_name for r in self.ancestors() if r.level in below) or self.display_name

    def city(self) -> "Region | None":
        for r in self.ancestors():
            if r.level == RegionLevel.CITY:
                return r
        return None

    def get_absolute_url(self) -> str:
        return reverse("core:region_detail", args=[self.pk])


class RegionGroup(AuditedModel):  # 片区分组（如 市内五区 / 各开发区 / 各区县（市））
    city = models.ForeignKey(Region, verbose_name="所属城市", on_delete=models.CASCADE, related_name="region_groups")
    name = models.CharField("名称", max_length=64)
    order = models.PositiveIntegerField("排序", default=0)
    source = models.CharField("依据", max_length=200, blank=True)

    class Meta:
        verbose_name = "片区分组"
        verbose_name_plural = "片区分组"
        ordering = ["city", "order"]
        constraints = [models.UniqueConstraint(fields=["city", "name"], name="uniq_region_group")]

    def __str__(self) -> str:
        return self.name


class Organisation(AuditedModel):  # 组织（政府、主管部门、行业部门、实施主体、咨询单位）
    name = models.CharField("名称", max_length=200, unique=True)
    short_name = models.CharField("简称", max_length=64, blank=True)
    kind = models.CharField("类型", max_length=32, choices=OrganisationKind.choices)
    region = models.ForeignKey(Region, verbose_name="所属区划", null=True, blank=True, on_delete=models.PROTECT)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    contact = models.CharField("联系人", max_length=64, blank=True)
    phone = models.CharField("联系电话", max_length=32, blank=True)

    class Meta:
        verbose_name = "组织"
        verbose_name_plural = "组织"
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class RoleAssignment(AuditedModel):  # 角色授权：用户在某区划范围内的角色
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    region = models.ForeignKey(Region, verbose_name="区划范围", on_delete=models.PROTECT)
    organisation = models.ForeignKey(
        Organisation, verbose_name="所属组织", null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "region", "organisation"], name="uniq_role_assignment")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region}"


def admin_url(obj: models.Model) -> str:
    try:
        return obj.get_absolute_url()  # type: ignore[attr-defined]
    except (AttributeError, NoReverseMatch):
        return ""
