"""Sphinx configuration for the osc-maxphysaddr release notes."""

project = 'osc-maxphysaddr Release Notes'
copyright = 'osc-maxphysaddr developers'

extensions = ['reno.sphinxext']

source_suffix = {'.rst': 'restructuredtext'}
master_doc = 'index'

pygments_style = 'sphinx'
html_theme = 'alabaster'


# --- Shallow clones ----------------------------------------------------------
#
# reno follows ``commit.parents`` itself when it walks the history, so in a
# shallow clone (CI checkouts, ``git clone --depth 1``) it asks for a parent
# that is not there and the build fails with KeyError. git and dulwich treat
# the commits at the shallow boundary as having no parents
# (``Repo.get_parents``); in a shallow clone only, reno is given the same
# view, so it reads the notes of the commits that are present and, without a
# release tag among them, files them under the version of an untagged
# history. A full clone is read exactly as reno reads it.


def _tolerate_shallow_clones():
    import os

    from dulwich import objects
    from reno import scanner

    here = os.path.dirname(os.path.abspath(__file__))
    try:
        repo = scanner.RenoRepo.discover(here)
        shallow = bool(repo.get_shallow())
        repo.close()
    except Exception:  # noqa: BLE001 - not a git checkout: reno will say so
        return
    if not shallow:
        return

    def as_git_sees_it(repo, commit):
        """The commit, without the parents beyond the shallow boundary."""
        parents = repo.get_parents(commit.id, commit)
        if parents == commit.parents:
            return commit
        copy = objects.Commit.from_string(commit.as_raw_string())
        # Set the field, not the property: the copy keeps its raw text and
        # so its SHA, which is what reno looks tags and notes up by.
        copy._parents = parents
        return copy

    get_object = scanner.RenoRepo.__getitem__
    get_walker = scanner.RenoRepo.get_walker

    def getitem(self, name):
        obj = get_object(self, name)
        if isinstance(obj, objects.Commit):
            return as_git_sees_it(self, obj)
        return obj

    def walker(self, *args, **kwargs):
        for entry in get_walker(self, *args, **kwargs):
            entry.commit = as_git_sees_it(self, entry.commit)
            yield entry

    scanner.RenoRepo.__getitem__ = getitem
    scanner.RenoRepo.get_walker = walker


_tolerate_shallow_clones()


# --- The release the notes belong to -----------------------------------------
#
# The version is stated once, in setup.cfg, and no release is tagged in git
# (see setup.py), so reno files every note under "0.0.0", its name for a
# history without a version tag. The page titles those notes with the
# version they ship in. Once a release is tagged, reno's own titles take
# over and nothing here changes them.

UNTAGGED = '0.0.0'


def _release_version():
    import configparser
    import os

    setup_cfg = os.path.join(os.path.dirname(__file__), '../../setup.cfg')
    config = configparser.ConfigParser()
    config.read(setup_cfg)
    return config['metadata']['version']


def _title_untagged_notes(app, doctree):
    from docutils import nodes

    version = _release_version()
    for title in doctree.findall(nodes.title):
        if title.astext() == UNTAGGED:
            title.replace(title[0], nodes.Text(version))


def setup(app):
    # Before Sphinx collects the titles for the table of contents.
    app.connect('doctree-read', _title_untagged_notes, priority=100)
