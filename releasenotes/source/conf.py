"""Sphinx configuration for the osc-maxphysaddr release notes."""

project = 'osc-maxphysaddr Release Notes'
copyright = 'osc-maxphysaddr developers'

extensions = ['reno.sphinxext']

source_suffix = {'.rst': 'restructuredtext'}
master_doc = 'index'

pygments_style = 'sphinx'
html_theme = 'alabaster'
