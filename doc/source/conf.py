"""Sphinx configuration for the osc-maxphysaddr documentation."""

project = 'osc-maxphysaddr'
copyright = 'osc-maxphysaddr developers'

extensions = [
    # Renders the command reference from the commands' own parsers.
    'cliff.sphinxext',
]

# Commands are documented as typed: "openstack flavor maxphysaddr set ...".
autoprogram_cliff_application = 'openstack'
# Options every OSC command has; the OSC documentation covers them.
autoprogram_cliff_ignored = [
    '--help',
    '--format',
    '--column',
    '--sort-column',
    '--sort-ascending',
    '--sort-descending',
    '--max-width',
    '--fit-width',
    '--print-empty',
    '--noindent',
    '--prefix',
    '--quote',
]

source_suffix = {'.rst': 'restructuredtext'}
master_doc = 'index'
exclude_patterns = ['user/examples.rst']

pygments_style = 'sphinx'
html_theme = 'alabaster'
html_theme_options = {
    'description': 'Guest CPU physical-address width for Nova flavors',
}

# Keep option names such as --bits as typed (no en dashes or curly quotes).
smartquotes = False
