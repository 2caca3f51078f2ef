
from . import urls_search

app_name = "policies"

# fixed paths (search/ …) come before "<str:key>/", which would otherwise take them as a key
urlpatterns = [
    *urls_search.urlpatterns,
]
