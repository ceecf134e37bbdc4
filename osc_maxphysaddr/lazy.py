"""Import a module on its first use.

OSC, through cliff, imports the command modules of every plugin on every
``openstack`` call, whatever the command (``openstack server list``
included). So the command modules reach the rest of the plugin (the domain
core and os-traits, the SDK calls) through :func:`load`, which defers each
import to the first attribute a command really uses.
"""

import importlib.util
import sys
import types


def load(name: str) -> types.ModuleType:
    """``name``'s module, imported when an attribute is first used."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f'no module named {name!r}', name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
