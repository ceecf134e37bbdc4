import configparser
import os
import pathlib

import setuptools

# The release version is stated once, in setup.cfg. pbr would otherwise
# derive it from git: with no tag on HEAD it makes a target version into
# "0.1.0.devN" (N = commits since the last tag), different in a shallow clone
# and in a full one. pbr reads an explicit version only from PBR_VERSION, so
# it is handed setup.cfg's here, for every build route (pip install . or -e .,
# python -m build, tox), unless the caller sets one.
_SETUP_CFG = pathlib.Path(__file__).with_name('setup.cfg')
_config = configparser.ConfigParser()
_config.read(_SETUP_CFG)
os.environ.setdefault('PBR_VERSION', _config['metadata']['version'])

setuptools.setup(setup_requires=['pbr>=6.0.0'], pbr=True)
