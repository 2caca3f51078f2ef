"""Catalogues: data that the policies define, kept as files with their provenance.

Pure Python, no web framework: the engine, the web app and the tests all read from here.
"""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
