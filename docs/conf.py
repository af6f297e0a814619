"""Sphinx configuration of the omib_sklearn documentation site.

Built by ``bash scripts/docs.sh`` (warnings are errors). Nothing is fetched
from the network at build time: no intersphinx mapping.
"""

import os
import sys
import warnings

sys.path.insert(0, os.path.abspath(".."))

import omib_sklearn  # noqa: E402

project = "omib_sklearn"
author = "omib_sklearn developers"
copyright = "omib_sklearn developers"
release = omib_sklearn.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5",
                    "sg_execution_times.rst"]
templates_path = ["_templates"]

# -- API reference ---------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Private names in "See Also" and cross-references stay plain text.
numpydoc_xref_param_type = False

# -- Markdown pages --------------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
# Links from the Markdown pages to files of the repository (scripts,
# benchmark results) are written as code, not as links; the few relative
# links to other pages resolve as documents.
suppress_warnings = ["myst.header"]

# -- Gallery -----------------------------------------------------------------
# Examples named plot_*.py are run when the site is built (each must take
# well under a minute on two CPU cores); the others are shown with their
# code only. The whole build should stay within two or three minutes.
warnings.filterwarnings("ignore", category=UserWarning,
                        message="Matplotlib is currently using agg")
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "plot_gallery": "True",
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "reset_modules": ("matplotlib",),
    "remove_config_comments": True,
}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"omib_sklearn {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = []
