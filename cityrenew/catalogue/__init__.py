"""Catalogues: data that the policies define, kept as files with their provenance.

Pure Python, no web framework: the engine, the web app and the tests all read from here.

``data/checkup_indicators.csv``: the MOHURD basic check-up indicators (2025: 60, earlier list: 61),
each row with its ``source_note``. ``data/checkup_indicators_zh.csv``: the 【指标解释】【体检方法】
【参考标准】 paragraphs of the 60 indicators, verbatim from 住房和城乡建设部《城市体检工作手册（试行）》
(2025年5月) 五、基础指标说明, with the section and source lines of each in ``manual_ref``
(see :mod:`.indicator_texts`). ``spatial_rules.csv``: service radii with their documents.
"""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
