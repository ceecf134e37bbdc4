"""What a running libvirt domain really got: XML, QEMU's -cpu, QMP."""

import json
import pathlib
import re
import xml.etree.ElementTree as ET

from tests.functional.cloud import compute

QEMU_PID_DIR = pathlib.Path('/run/libvirt/qemu')
#: QEMU's x86 CPU objects are QOM types named <model>-x86_64-cpu.
CPU_TYPE = re.compile(r'-x86_64-cpu$')


def maxphysaddr_xml(domain):
    """The live domain XML's <maxphysaddr> as ``mode=… bits=…``."""
    root = ET.fromstring(compute.virsh('dumpxml', domain).stdout)
    cpu = root.find('cpu')
    element = None if cpu is None else cpu.find('maxphysaddr')
    mode = None if cpu is None else cpu.get('mode')
    if element is None:
        return mode, None
    attrs = ' '.join(f'{k}={v}' for k, v in sorted(element.attrib.items()))
    return mode, attrs


def qemu_cpu_arg(domain):
    """The ``-cpu`` argument of the domain's QEMU process."""
    pid = (QEMU_PID_DIR / f'{domain}.pid').read_text().strip()
    argv = pathlib.Path(f'/proc/{pid}/cmdline').read_bytes().split(b'\0')
    return argv[argv.index(b'-cpu') + 1].decode()


def phys_bits_option(cpu_arg):
    """The width options of a -cpu argument, e.g. ``phys-bits=42``."""
    return ','.join(
        opt
        for opt in cpu_arg.split(',')
        if opt.startswith(('phys-bits=', 'host-phys-bits'))
    )


def _qmp(domain, command, **arguments):
    cmd = {'execute': command}
    if arguments:
        cmd['arguments'] = arguments
    out = compute.virsh('qemu-monitor-command', domain, json.dumps(cmd))
    return json.loads(out.stdout)['return']


def cpu_path(domain):
    """The QOM path of the guest's first CPU."""
    for child in _qmp(domain, 'qom-list', path='/machine/unattached'):
        if not child['type'].startswith('child<'):
            continue
        path = f'/machine/unattached/{child["name"]}'
        if CPU_TYPE.search(
            _qmp(domain, 'qom-get', path=path, property='type')
        ):
            return path
    raise AssertionError(f'{domain}: no x86_64 CPU object under QOM')


def phys_bits(domain):
    """The guest CPU's real width, read over QMP (qom-get phys-bits)."""
    return _qmp(domain, 'qom-get', path=cpu_path(domain), property='phys-bits')


def fault_cause(fault_text):
    """QEMU's last error line in a fault, else Nova's exception's name."""
    lines = [
        line.split('qemu-system-x86_64: ', 1)[1]
        for line in fault_text.splitlines()
        if 'qemu-system-x86_64: ' in line and 'warning:' not in line
    ]
    if lines:
        return lines[-1][:100]
    found = re.search(r'nova\.exception\.(\w+)', fault_text)
    return found.group(1) if found else fault_text.strip()[:100]
