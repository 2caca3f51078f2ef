from rest_framework.routers import DefaultRouter

from ..choices import LedgerKind
from .views import viewset

router = DefaultRouter()
router.include_root_view = False
for _kind in LedgerKind.values:
    router.register(f"ledgers/{_kind.replace('_', '-')}", viewset(_kind), basename=f"ledger-{_kind}")

urlpatterns = router.urls
