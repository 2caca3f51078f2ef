"""The report's charts draw Chinese with a real CJK font file, registered explicitly with matplotlib.

Tofu (empty boxes) is detected two ways: matplotlib warns "Glyph … missing from font(s)" for every
character it cannot draw, and every missing character is drawn as the same box, so different
characters give identical pixels. Both detectors are first shown to fire on a DejaVu-only rendering.
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cityrenew.checkup import services as svc
from cityrenew.checkup.catalogue import SET_2025
from cityrenew.checkup.report import (
    CJK_FONT_ENV,
    ReportFontError,
    build_report,
    chart_problems,
    cjk_font,
)

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.fixture(autouse=True)
def fresh_font_choice():
    cjk_font.cache_clear()
    yield
    cjk_font.cache_clear()


def _render(text: str, family: str) -> tuple[np.ndarray, list[str]]:
    """Pixels of ``text`` drawn in ``family`` (fallback DejaVu Sans) and the missing-glyph warnings."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.image import imread

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = plt.figure(figsize=(1.2, 0.6), dpi=100)
        fig.text(0.5, 0.5, text, family=[family, "DejaVu Sans"], fontsize=28, ha="center", va="center")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    buf.seek(0)
    return imread(buf), [str(w.message) for w in caught if "missing from font" in str(w.message)]


def _missing_glyph_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_chinese_characters_are_drawn_as_glyphs_not_boxes():
    family = cjk_font()
    chars = "城市体检"
    # the detectors fire on a font without Chinese: warnings, and every character the same box
    tofu = [_render(ch, "DejaVu Sans") for ch in chars]
    assert all(w for _, w in tofu)
    assert all(np.array_equal(tofu[0][0], img) for img, _ in tofu[1:])
    # with the registered CJK font: no warning, four different glyphs, none of them the box
    drawn = [_render(ch, family) for ch in chars]
    assert [w for _, w in drawn] == [[], [], [], []]
    images = [img for img, _ in drawn]
    assert len({img.tobytes() for img in images}) == 4
    assert not any(np.array_equal(img, tofu[0][0]) for img in images)
    assert all((img[..., :3] < 0.5).any() for img in images)  # ink on the page, not blank


def test_charts_render_without_missing_glyphs():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = chart_problems([]).getvalue()
    assert _missing_glyph_warnings(caught) == []
    assert png.startswith(b"\x89PNG")


def test_font_arriving_after_the_matplotlib_cache_was_built(tmp_path):
    """A real stale cache: matplotlib's font list without the CJK fonts (as on a machine where
    fonts-noto-cjk was installed after matplotlib first ran). Trusting the cache gives boxes;
    the report registers the font file and draws glyphs."""
    from matplotlib import font_manager

    stale = tmp_path / "mpl"
    stale.mkdir()
    without_cjk = copy.copy(font_manager.fontManager)
    without_cjk.ttflist = [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name]
    font_manager.json_dump(without_cjk, stale / f"fontlist-v{font_manager.FontManager.__version__}.json")
    script = textwrap.dedent("""
        import json, sys, warnings
        import django
        django.setup()
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib import font_manager

        def missing(draw):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                draw()
            return [str(w.message) for w in caught if "missing from font" in str(w.message)]

        def title_in(family):
            fig = plt.figure()
            fig.suptitle("各指标问题数量", family=[family, "DejaVu Sans"])
            fig.savefig(sys.argv[1] + "." + family.replace(" ", "_") + ".png")
            plt.close(fig)

        known = sorted({f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name})
        before = missing(lambda: title_in("Noto Sans CJK SC"))
        from cityrenew.checkup.report import chart_problems, cjk_font
        after = missing(lambda: open(sys.argv[1], "wb").write(chart_problems([]).getvalue()))
        print(json.dumps({"known": known, "before": before, "after": after, "font": cjk_font()}))
    """)
    env = dict(os.environ, MPLCONFIGDIR=str(stale), DJANGO_SETTINGS_MODULE="cityrenew.settings")
    r = subprocess.run([sys.executable, "-c", script, str(tmp_path / "chart.png")], env=env,
                       capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["known"] == []  # the cache really was stale
    assert out["before"]  # trusting it draws boxes
    assert out["after"] == [] and "CJK" in out["font"]
    assert (tmp_path / "chart.png").read_bytes() == chart_problems([]).getvalue()


def test_a_font_without_chinese_glyphs_is_refused(monkeypatch):
    monkeypatch.setenv(CJK_FONT_ENV, DEJAVU)
    with pytest.raises(ReportFontError, match="不含中文字形"):
        cjk_font()
    cjk_font.cache_clear()
    monkeypatch.setenv(CJK_FONT_ENV, "/nonexistent/font.ttf")
    with pytest.raises(ReportFontError, match="中文字体文件不存在"):
        cjk_font()


@pytest.mark.django_db
def test_no_chinese_font_no_report(monkeypatch, tmp_path, sets, regions, city_admin):
    """fontconfig that knows only DejaVu: the report fails loudly, in Chinese, and writes nothing."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>{Path(DEJAVU).parent}</dir>'
                    f'<cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>')
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    monkeypatch.delenv(CJK_FONT_ENV, raising=False)
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    with pytest.raises(ReportFontError, match="本机没有中文字体.*make fonts"):
        build_report(run, tmp_path / "report.docx")
    assert not (tmp_path / "report.docx").exists()
    assert not run.evaluations.exists()  # refused before evaluating


@pytest.mark.django_db
def test_report_images_carry_rendered_chinese(tmp_path, sets, regions, city_admin):
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = build_report(run, tmp_path / "report.docx")
    assert _missing_glyph_warnings(caught) == []  # every chart character had a glyph
    assert "CJK" in out["font"]
    with zipfile.ZipFile(tmp_path / "report.docx") as z:
        media = {n: z.read(n) for n in z.namelist() if n.startswith("word/media/")}
    assert len(media) == 3 and all(b.startswith(b"\x89PNG") for b in media.values())
    # the problems chart in the document is the one drawn with the CJK font, not a boxed variant
    assert chart_problems([]).getvalue() in media.values()
    from matplotlib.image import imread

    for data in media.values():
        img = imread(io.BytesIO(data))
        assert img.shape[0] > 200 and img.shape[1] > 400 and (img[..., :3] < 0.5).any()
