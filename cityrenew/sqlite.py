"""SQLite with extension loading, for SpatiaLite.

GeoDjango's SpatiaLite backend loads ``mod_spatialite`` into every connection, which needs a ``sqlite3``
module built with extension loading. Debian's own Python has it; some interpreters (pyenv and other
source builds without ``--enable-loadable-sqlite-extensions``) do not. For those, the ``pysqlite3``
package (a build of the same DB-API module with extension loading and R*Tree) stands in for ``sqlite3``
before Django opens a connection. Nothing changes where the interpreter's own module can load extensions.
"""

from __future__ import annotations

import sqlite3
import sys


def can_load_extensions(module=sqlite3) -> bool:
    return hasattr(module.connect(":memory:"), "enable_load_extension")


def preload_bundled_libraries() -> None:
    """Load the native libraries of the geodata wheels before ``mod_spatialite`` is loaded.

    SQLite loads extensions with ``RTLD_GLOBAL``, so once ``mod_spatialite`` is in, Debian's PROJ, GEOS and
    GDAL symbols are global, and a wheel that is imported afterwards (pyproj, pyogrio, shapely bundle their
    own copies) binds its calls to Debian's copy of another version: pyproj then crashes the process.
    Imported first, each wheel binds its own library (Python loads extensions with ``RTLD_NOW``).
    """
    import pyogrio  # noqa: F401  (GDAL)
    import pyproj  # noqa: F401  (PROJ)
    import shapely  # noqa: F401  (GEOS)


def ensure_extension_loading() -> str:
    """Make ``import sqlite3`` give a module that can load extensions; return which module it is."""
    preload_bundled_libraries()
    if can_load_extensions(sys.modules.get("sqlite3", sqlite3)):
        return sys.modules["sqlite3"].__name__
    try:
        import pysqlite3
        import pysqlite3.dbapi2
    except ImportError as exc:  # pragma: no cover - only on an interpreter without either
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "当前 Python 的 sqlite3 不能加载扩展，且未安装 pysqlite3，无法启用 SpatiaLite。请运行 make setup"
            "（安装 pysqlite3-binary），或改用 Debian 自带的 python3 建立虚拟环境。\n"
            "This Python's sqlite3 cannot load extensions and pysqlite3 is not installed: SpatiaLite needs one."
        ) from exc
    sys.modules["sqlite3"] = pysqlite3
    sys.modules["sqlite3.dbapi2"] = pysqlite3.dbapi2
    return "pysqlite3"
