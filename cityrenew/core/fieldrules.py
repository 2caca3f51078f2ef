"""Field-level write rules (字段级写权限): which role may write which field of which model.

Region scoping stays in :mod:`cityrenew.core.permissions` (may this user change *this object*?);
this module answers the finer question (may this user write *this field*, and *this value*?).
Pages, the API and imports ask the same registry:

* :func:`writable_fields` — the fields ``user`` may write on create (``obj=None``) or update;
* :func:`check_fields` — raise :class:`~django.core.exceptions.PermissionDenied` with a Chinese
  message naming each refused field and why;
* :func:`check_values` — value rules (e.g. a district editor may move a project 入库 → 实施, but
  never to 入库 or 调出: those are the adjustment batch's job);
* :class:`FieldRulesSerializerMixin` — a DRF write that sends a field the user may not write is
  refused (HTTP 403), never silently ignored;
* :class:`FieldRulesFormMixin` — a ModelForm built with ``user=`` shows those fields disabled (read
  only), so Django ignores whatever is posted for them.

Each app declares its rules in ``<app>/fieldrules.py`` with :func:`register` (the way NetBox apps
add to one registry); the modules are discovered on first use. The same modules register, with
:func:`register_audit_scope`, who may read the audit entries of each model
(:func:`cityrenew.core.permissions.visible_audit`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models

from .choices import Role

ALL = "*"  # the key for rules that hold for every role
# Not data: a write may always carry these (optimistic concurrency sends the version it read).
CONTROL_FIELDS = frozenset({"row_version"})

# value_rule(user, obj, value) -> None when allowed, else the Chinese reason.
ValueRule = Callable[[Any, Any, Any], "str | None"]
# allowed_values(user, obj) -> the values ``user`` may choose (None: any value).
AllowedValues = Callable[[Any, Any], "set[Any] | None"]


@dataclass
class ModelRules:
    """The write rules of one model. ``create``/``update`` map a role to the fields it may write."""

    model: type[models.Model]
    create: Mapping[str, frozenset[str]]
    update: Mapping[str, frozenset[str]]
    reasons: Mapping[str, str] = field(default_factory=dict)  # field → why most roles may not write it
    labels: Mapping[str, str] = field(default_factory=dict)  # field → label, for fields that are not model fields
    value_rules: Mapping[str, ValueRule] = field(default_factory=dict)
    allowed_values: Mapping[str, AllowedValues] = field(default_factory=dict)
    create_defaults: Callable[[Any], dict[str, Any]] | None = None

    @property
    def known_fields(self) -> frozenset[str]:
        names: set[str] = set(self.reasons)
        for table in (self.create, self.update):
            for fields in table.values():
                names |= fields
        return frozenset(names)

    def label(self, name: str) -> str:
        if name in self.labels:
            return self.labels[name]
        try:
            return str(self.model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            return name


_REGISTRY: dict[str, ModelRules] = {}
_AUDIT_SCOPES: dict[str, Callable[[Any], Any]] = {}
_discovered = False


def _key(model: type[models.Model] | models.Model) -> str:
    return model._meta.label_lower


def _discover() -> None:
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        _discovered = True
        _register_core()
        autodiscover_modules("fieldrules")


def register(
    model: type[models.Model],
    *,
    create: Mapping[str, Iterable[str]],
    update: Mapping[str, Iterable[str]],
    reasons: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    value_rules: Mapping[str, ValueRule] | None = None,
    allowed_values: Mapping[str, AllowedValues] | None = None,
    create_defaults: Callable[[Any], dict[str, Any]] | None = None,
) -> ModelRules:
    rules = ModelRules(
        model=model,
        create={role: frozenset(f) for role, f in create.items()},
        update={role: frozenset(f) for role, f in update.items()},
        reasons=dict(reasons or {}),
        labels=dict(labels or {}),
        value_rules=dict(value_rules or {}),
        allowed_values=dict(allowed_values or {}),
        create_defaults=create_defaults,
    )
    _REGISTRY[_key(model)] = rules
    return rules


def register_audit_scope(model: type[models.Model], readable: Callable[[Any], Any]) -> None:
    """``readable(user)`` → None (every row of ``model``) or a queryset/iterable of readable pks."""
    _AUDIT_SCOPES[_key(model)] = readable


def rules_for(model: type[models.Model] | models.Model) -> ModelRules | None:
    _discover()
    return _REGISTRY.get(_key(model))


def audit_scopes() -> dict[str, Callable[[Any], Any]]:
    _discover()
    return dict(_AUDIT_SCOPES)


def registered_models() -> list[type[models.Model]]:
    _discover()
    return [r.model for r in _REGISTRY.values()]


# --- the user's roles ---------------------------------------------------------------------------


def roles_held(user: Any) -> frozenset[str]:
    """Every role ``user`` holds anywhere (region scope is checked by core.permissions)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    from .permissions import roles_of

    return frozenset(ra.role for ra in roles_of(user))  # roles_of reads once per request


def is_city_level(user: Any) -> bool:
    """市级管理员 or superuser: the users who run the workflows (adjustment batches, check-up runs)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser) or Role.CITY_ADMIN in roles_held(user)


# --- the rules ----------------------------------------------------------------------------------


def _table(rules: ModelRules, obj: Any) -> Mapping[str, frozenset[str]]:
    return rules.create if obj is None or getattr(obj, "pk", None) is None else rules.update


def writable_fields(user: Any, model: type[models.Model] | models.Model, obj: Any = None) -> frozenset[str]:
    """The fields of ``model`` that ``user`` may write (``obj`` None = create). Unregistered: none.

    ``model`` may be the object itself (then it is an update unless it is not saved yet)."""
    if isinstance(model, models.Model) and obj is None:
        obj = model
    rules = rules_for(model)
    if rules is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    table = _table(rules, obj)
    if user.is_superuser:
        out: set[str] = set()
        for fields in table.values():
            out |= fields
        return frozenset(out)
    out = set(table.get(ALL, frozenset()))
    for role in roles_held(user):
        out |= table.get(role, frozenset())
    return frozenset(out)


def _role_names(user: Any) -> str:
    held = roles_held(user)
    if not held:
        return "无角色" if getattr(user, "is_authenticated", False) else "未登录"
    return "、".join(Role(r).label for r in sorted(held) if r in Role.values)


def refusal_message(user: Any, model: type[models.Model] | models.Model, names: Iterable[str], obj: Any = None) -> str:
    """「入库批次」「项目状态」只能通过调整批次由市级管理员变更；「项目名称」您的角色（只读用户）不能修改。"""
    rules = rules_for(model)
    names = list(dict.fromkeys(names))
    by_reason: dict[str, list[str]] = {}
    creating = obj is None or getattr(obj, "pk", None) is None
    default = f"您的角色（{_role_names(user)}）不能{'填写' if creating else '修改'}"
    for name in names:
        reason = rules.reasons.get(name, default) if rules else default
        by_reason.setdefault(reason, []).append(name)
    label = (lambda n: rules.label(n)) if rules else (lambda n: n)
    parts = ["".join(f"「{label(n)}」" for n in fields) + reason for reason, fields in by_reason.items()]
    return "；".join(parts) + "。"


def check_fields(
    user: Any,
    obj_or_model: type[models.Model] | models.Model,
    field_names: Iterable[str] | Mapping[str, Any],
    obj: Any = None,
) -> None:
    """Raise PermissionDenied (Chinese, naming each field and why) unless ``user`` may write them all.

    Given a mapping ``{field: new value}``, the value rules are checked too (e.g. 项目状态 → 调出).
    """
    if isinstance(obj_or_model, models.Model):
        model, obj = type(obj_or_model), obj if obj is not None else obj_or_model
    else:
        model = obj_or_model
    allowed = writable_fields(user, model, obj) | CONTROL_FIELDS
    denied = [n for n in field_names if n not in allowed]
    refused = value_refusals(user, model, field_names, obj) if isinstance(field_names, Mapping) else {}
    if denied or refused:
        message = refusal_message(user, model, denied, obj) if denied else ""
        raise PermissionDenied(message + "；".join(refused.values()) + ("。" if refused else ""))


def value_refusals(user: Any, model: type[models.Model] | models.Model, data: Mapping[str, Any], obj: Any = None) -> dict[str, str]:
    """{field: Chinese reason} for the values of ``data`` that ``user`` may not set."""
    rules = rules_for(model)
    if rules is None or getattr(user, "is_superuser", False):
        return {}
    out = {}
    for name, rule in rules.value_rules.items():
        if name in data:
            why = rule(user, obj, data[name])
            if why:
                out[name] = f"「{rules.label(name)}」{why}"
    return out


def check_values(user: Any, model: type[models.Model] | models.Model, data: Mapping[str, Any], obj: Any = None) -> None:
    refused = value_refusals(user, model, data, obj)
    if refused:
        raise PermissionDenied("；".join(refused.values()) + "。")


def create_defaults(user: Any, model: type[models.Model] | models.Model) -> dict[str, Any]:
    rules = rules_for(model)
    if rules is None or rules.create_defaults is None:
        return {}
    return rules.create_defaults(user)


# --- comparing a sent value with the stored one -------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted(str(_plain(v)) for v in value)
    if value is None or value == "":
        return None
    return str(value)


def _current(obj: Any, name: str) -> Any:
    try:
        f = obj._meta.get_field(name)
    except FieldDoesNotExist:
        return getattr(obj, name, None)
    if f.many_to_many:
        return [o.pk for o in getattr(obj, name).all()] if obj.pk else []
    if f.is_relation:
        return getattr(obj, f.attname)
    return getattr(obj, name)


def same_value(obj: Any, name: str, sent: Any) -> bool:
    """True when ``sent`` (raw request data) equals what ``obj`` stores (so sending it is no write)."""
    if obj is None or getattr(obj, "pk", None) is None:
        return False
    current = _current(obj, name)
    a, b = _plain(current), _plain(sent)
    if a == b:
        return True
    if a is None or b is None or isinstance(a, list) or isinstance(b, list):
        return False
    try:  # decimals: "50" == "50.000000"
        return Decimal(a) == Decimal(b)
    except (InvalidOperation, ValueError, TypeError):
        return False


# --- DRF and forms ------------------------------------------------------------------------------


class FieldRulesSerializerMixin:
    """For DRF ModelSerializers: refuse (403) a write that sends a field the user may not write.

    A field sent with the value the object already has is not a write (a client may PUT back what it
    read). Value rules (e.g. status transitions) are checked on the validated data; on create, the
    registry's defaults for the user's role fill fields the client left out.
    """

    def _field_rules_user(self) -> Any:
        request = getattr(self, "context", {}).get("request")
        return getattr(request, "user", None) if request is not None else None

    def to_internal_value(self, data: Any) -> Any:
        user = self._field_rules_user()
        model = self.Meta.model  # type: ignore[attr-defined]
        rules = rules_for(model)
        if user is not None and rules is not None and hasattr(data, "keys"):
            obj = getattr(self, "instance", None)
            allowed = writable_fields(user, model, obj) | CONTROL_FIELDS
            sent = [k for k in data if k in rules.known_fields or k in self.fields and not self.fields[k].read_only]
            denied = [k for k in sent if k not in allowed and not same_value(obj, k, data[k])]
            if denied:
                from rest_framework.exceptions import PermissionDenied as ApiDenied

                raise ApiDenied(refusal_message(user, model, denied, obj))
        return super().to_internal_value(data)  # type: ignore[misc]

    def validate(self, attrs: Any) -> Any:
        attrs = super().validate(attrs)  # type: ignore[misc]
        user = self._field_rules_user()
        if user is not None:
            model = self.Meta.model  # type: ignore[attr-defined]
            obj = getattr(self, "instance", None)
            if obj is None:
                for k, v in create_defaults(user, model).items():
                    attrs.setdefault(k, v)
            changed = {k: v for k, v in attrs.items() if not same_value(obj, k, v)}
            refused = value_refusals(user, model, changed, obj)
            if refused:
                from rest_framework.exceptions import PermissionDenied as ApiDenied

                raise ApiDenied("；".join(refused.values()) + "。")
        return attrs


class FieldRulesFormMixin:
    """For ModelForms built with ``user=``: fields the user may not write are disabled (Django then
    ignores posted values) and show why; choice fields list only the values the user may choose.

    A subclass that replaces or relabels fields in its ``__init__`` calls :meth:`apply_field_rules`
    again at its end (the method is idempotent)."""

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[misc]
        self.user = user
        if user is not None:
            self.apply_field_rules()

    def _field_rules_obj(self) -> Any:
        instance = getattr(self, "instance", None)
        return instance if instance is not None and instance.pk is not None else None

    def apply_field_rules(self) -> None:
        model = self._meta.model  # type: ignore[attr-defined]
        rules = rules_for(model)
        if rules is None:
            return
        obj = self._field_rules_obj()
        allowed = writable_fields(self.user, model, obj)
        for name, f in self.fields.items():  # type: ignore[attr-defined]
            if name in rules.known_fields and name not in allowed:
                f.disabled = True
                f.required = False
                why = refusal_message(self.user, model, [name], obj)
                f.help_text = why
                f.widget.attrs.update({"readonly": True, "title": why, "data-field-rule": "read-only"})
            elif name in rules.allowed_values and hasattr(f, "choices") and not getattr(self.user, "is_superuser", False):
                values = rules.allowed_values[name](self.user, obj)
                if values is not None:
                    current = _current(obj, name) if obj is not None else None
                    keep = set(values) | ({current} if current is not None else set())
                    f.choices = [(v, label) for v, label in f.choices if v in keep or v == ""]
                    defaults = create_defaults(self.user, model) if obj is None else {}
                    if name in defaults and self.initial.get(name, f.initial) not in keep:  # type: ignore[attr-defined]
                        self.initial[name] = f.initial = defaults[name]  # type: ignore[attr-defined]

    def clean(self) -> Any:
        data = super().clean()  # type: ignore[misc]
        if self.user is not None:
            model = self._meta.model  # type: ignore[attr-defined]
            obj = self._field_rules_obj()
            changed = {k: v for k, v in (data or {}).items() if k in self.fields and not self.fields[k].disabled  # type: ignore[attr-defined]
                       and not same_value(obj, k, v)}
            for name, why in value_refusals(self.user, model, changed, obj).items():
                self.add_error(name if name in self.fields else None, why)  # type: ignore[attr-defined]
        return data


def _everyone(user: Any) -> None:
    return None


def _register_core() -> None:
    """The core app's own models: regions and organisations are read by every signed-in user; role
    assignments (who may do what) only by 市级管理员 (unregistered); none is written through forms
    or the API (the region tree is loaded by ``cityrenew regions``)."""
    from .models import Organisation, Region, RegionGroup

    for model in (Region, RegionGroup, Organisation):
        register_audit_scope(model, _everyone)
    register(
        Organisation,
        create={Role.CITY_ADMIN: {"name", "short_name", "kind", "region", "credit_code", "contact", "phone"}},
        update={Role.CITY_ADMIN: {"name", "short_name", "kind", "region", "credit_code", "contact", "phone"}},
    )
    for model in (Region, RegionGroup):  # loaded from the official code tables, never edited by hand
        register(model, create={}, update={},
                 reasons={f.name: "来自国家行政区划代码表，只能由系统管理员通过“cityrenew regions”命令载入"
                          for f in model._meta.concrete_fields})
