"""Sphinx configuration of the tapegrad documentation site (``make docs``)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)                      # document this checkout
sys.path.insert(0, os.path.join(HERE, "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import autograd  # noqa: E402

project = "tapegrad"
author = "the tapegrad authors"
copyright = "tapegrad authors"
release = version = autograd.__version__
extensions = ["sphinx.ext.autodoc", "tapegrad_pages"]
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = f"tapegrad {release}"
html_theme_options = {"page_width": "1100px", "sidebar_width": "230px"}
templates_path = []
suppress_warnings = []
