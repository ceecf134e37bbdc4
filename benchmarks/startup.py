"""1. Start-up tax: what the plugin adds to every ``openstack`` call.

OSC imports every installed plugin's ``plugin.py`` on each call, through
importlib (so ``python -X importtime`` does not show it). Each fresh
interpreter below imports ``openstackclient.shell`` first, then times
importing one more module, as OSC would; the median over fresh processes
is the tax. The command modules are timed the same way against the stock
module of the command they are compared with (they are what ``--help``
of a command loads), to explain the ``--help`` ratio.

Then ``openstack flavor maxphysaddr show --help`` and ``openstack flavor
show --help`` run alternately (the order flips each round) and the medians
of their wall times are compared.
"""

from __future__ import annotations

import json

from benchmarks import runner

_IMPORT_PROBE = """
import importlib, json, sys, time
import openstackclient.shell  # what OSC has loaded before its plugins
start = time.perf_counter_ns()
for module in sys.argv[1:]:
    importlib.import_module(module)
print(json.dumps((time.perf_counter_ns() - start) / 1e6))
"""

#: (label, modules): each timed in its own fresh interpreter. OSC 10.5
#: hands each plugin's command group to cliff, whose CommandManager loads
#: it with a stevedore ExtensionManager, which imports every command
#: module of every plugin on every call (``openstack server list``
#: included): so the command modules are a per-call tax too.
IMPORTS = (
    ('plugin.py (every call)', 'osc_maxphysaddr.plugin'),
    (
        'flavor + hypervisor command modules (every call)',
        'osc_maxphysaddr.flavor osc_maxphysaddr.hypervisor',
    ),
    (
        'stock compute.v2.flavor (every call too), for scale',
        'openstackclient.compute.v2.flavor',
    ),
)

HELP = {
    'plugin': ['flavor', 'maxphysaddr', 'show', '--help'],
    'stock': ['flavor', 'show', '--help'],
}


def import_ms(module: str, env: dict[str, str]) -> float:
    code = _IMPORT_PROBE
    result = runner.run(
        [runner.sys.executable, '-c', code, *module.split()], env
    ).check()
    return float(json.loads(result.stdout))


def measure(runs: int) -> dict:
    env = runner.child_env()
    openstack = str(runner.BIN / 'openstack')
    # Warm the bytecode cache so no run below compiles anything.
    for argv in HELP.values():
        runner.run([openstack, *argv], env).check()
    for _, module in IMPORTS:
        import_ms(module, env)

    imports: dict[str, list[float]] = {m: [] for _, m in IMPORTS}
    walls: dict[str, list[float]] = {k: [] for k in HELP}
    for i in range(runs):
        order = list(HELP) if i % 2 == 0 else list(reversed(HELP))
        for key in order:
            result = runner.run([openstack, *HELP[key]], env).check()
            if 'usage:' not in result.stdout:
                raise runner.CommandFailed(
                    f'openstack {" ".join(HELP[key])}: no usage printed'
                )
            walls[key].append(result.wall_s)
        for _, module in IMPORTS:
            imports[module].append(import_ms(module, env))

        runner.progress(f'start-up run {i + 1} of {runs}')
    plugin = runner.median(walls['plugin'])
    stock = runner.median(walls['stock'])
    return {
        'runs': runs,
        'imports_ms': {
            label: runner.median(imports[module]) for label, module in IMPORTS
        },
        'help_wall_s': {'plugin': plugin, 'stock': stock},
        'help_ratio': plugin / stock,
        'samples': {'imports_ms': imports, 'help_wall_s': walls},
    }
