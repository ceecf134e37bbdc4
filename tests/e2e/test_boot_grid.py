"""Real boots through Nova, each against the plugin's prediction.

For every row the plugin speaks first, through the real ``openstack``
command: whether ``flavor maxphysaddr set`` refuses the width (then it is
written with ``--force``), and what ``flavor maxphysaddr show --image``
says (Status, Hosts, Guest Bits). Then Nova boots the flavor with the
image, with no network, on the dev cloud's one libvirt nova-compute run
with the row's ``[libvirt] cpu_mode``, and the test asserts that Nova and
QEMU do what the plugin said:

* Hosts 0: the scheduler finds no valid host;
* an error status with hosts: Nova puts the server in ERROR with the
  hypervisor's fault (QEMU's own message where the row knows it);
* otherwise ACTIVE, and the guest's width read over QMP is the width the
  plugin predicted, and the one ``server maxphysaddr list`` reports.

The expectations are the plugin's output; the rows only say what to boot,
plus physical facts no prediction decides (QEMU's refusal message, what
Nova writes into the domain XML and QEMU's ``-cpu``). The rows are grouped
by cpu_mode, in order, so nova-compute restarts once per group.
"""

import dataclasses
import time
import uuid

import pytest

from osc_maxphysaddr import core
from tests.e2e import conftest
from tests.e2e import guest

#: QEMU 7.2's refusal of a guest whose address space does not fit
#: (hw/i386/pc.c pc_memory_init): "Address space limit 0x... < 0x...
#: phys-bits too low (N)".
QEMU_TOO_LOW = 'phys-bits too low'
NO_VALID_HOST = 'No valid host'
#: How the plugin's status says the width does not reach the guest (emulate
#: on host-passthrough): the guest then gets the width of its host.
FOLLOWS_HOST = "gets its host's width"
#: The plugin's warning that a passthrough guest keeps QEMU's width (TCG).
UNDER_TCG = 'QEMU ignores host-phys-bits'


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    cpu_mode: str
    mode: str
    #: An absolute width, or (with ``relative``) one added to the host's.
    bits: int | None = None
    relative: bool = False
    ram: int = 64
    image: str = 'e2e-pc'
    #: The image's hw_machine_type (conftest.IMAGES), told to ``set`` too.
    machine_type: str = 'pc'
    #: A physical fact: QEMU itself refuses this guest at start.
    qemu_refuses: bool = False

    def width(self, host_bits):
        if self.bits is None:
            return None
        return host_bits + self.bits if self.relative else self.bits

    @property
    def id(self):
        return f'{self.cpu_mode}:{self.name}'


def _group(cpu_mode, q35_refused):
    return [
        Row('emulate-below-host', cpu_mode, 'emulate', -6, relative=True),
        Row('passthrough', cpu_mode, 'passthrough'),
        Row(
            'q35-2GiB-emulate-35',
            cpu_mode,
            'emulate',
            35,
            ram=2048,
            image='e2e-q35',
            machine_type='q35',
            qemu_refuses=q35_refused,
        ),
    ]


ROWS = [
    # host-model is Nova's default for kvm and qemu: the first group
    # needs no restart of a fresh cloud.
    *_group('host-model', q35_refused=True),
    Row('emulate-above-host', 'host-model', 'emulate', 1, relative=True),
    Row(
        'q35-2GiB-emulate-36',
        'host-model',
        'emulate',
        36,
        ram=2048,
        image='e2e-q35',
        machine_type='q35',
    ),
    Row(
        'flavor-emulate-image-passthrough',
        'host-model',
        'emulate',
        -6,
        relative=True,
        image='e2e-passthrough',
    ),
    *_group('custom', q35_refused=True),
    # QEMU's "host" CPU model turns host-phys-bits on: no refusal here.
    *_group('host-passthrough', q35_refused=False),
]


@pytest.fixture
def flavor(e2e):
    created = []

    def make(ram):
        flavor = e2e.conn.compute.create_flavor(
            name=f'e2e-{uuid.uuid4().hex[:8]}', ram=ram, vcpus=1, disk=1
        )
        created.append(flavor)
        return flavor

    yield make
    e2e.delete_servers()
    for f in created:
        e2e.conn.compute.delete_flavor(f, ignore_missing=True)


def _use_cpu_mode(e2e, cpu_mode):
    profile = e2e.profile
    if cpu_mode not in profile.cpu_modes:
        if cpu_mode == 'host-passthrough' and profile.no_kvm:
            pytest.skip(
                f'{conftest.NO_KVM}{profile.no_kvm}: host-passthrough does '
                f'not exist under TCG (virt_type={profile.virt_type})'
            )
        conftest.fail_or_skip(
            f'cpu_mode {cpu_mode} is not offered by this compute '
            f'({profile}): no custom CPU model it can run?'
        )
    t0 = time.monotonic()
    if e2e.cloud.set_cpu_mode(cpu_mode):
        print(
            f'nova-compute restarted with cpu_mode={cpu_mode} in '
            f'{time.monotonic() - t0:.1f}s'
        )


@pytest.mark.parametrize('row', ROWS, ids=lambda r: r.id)
def test_boot_agrees_with_the_plugin(e2e, flavor, row):
    _use_cpu_mode(e2e, row.cpu_mode)
    bits = row.width(e2e.host_bits)
    made = flavor(row.ram)
    image = e2e.images[row.image]
    # show --image takes the machine type from the image; set --image only
    # compares the image's mode, so set is told the machine type.
    platform = (
        '--image',
        image,
        '--machine-type',
        row.machine_type,
        '--cpu-mode',
        row.cpu_mode,
        '--virt-type',
        e2e.profile.virt_type,
    )

    # -- the plugin's prediction, before the boot -----------------------
    write = ['flavor', 'maxphysaddr', 'set', made.id, '--mode', row.mode]
    if bits is not None:
        write += ['--bits', str(bits)]
    first = e2e.openstack(*write, *platform, check=False)
    set_refused = first.returncode != 0
    if set_refused:
        e2e.openstack(*write, *platform, '--force')
    shown = e2e.openstack_json(
        'flavor', 'maxphysaddr', 'show', made.id, *platform
    )
    predicted_boot = not shown['Status'].startswith('error') and (
        shown['Hosts'] > 0
    )
    predicted_bits = shown['Guest Bits']
    if UNDER_TCG in shown['Status']:
        predicted_bits = core.TCG_BITS  # QEMU's, per the plugin
    elif row.mode == 'passthrough' or FOLLOWS_HOST in shown['Status']:
        predicted_bits = e2e.plugin_host_bits  # the host's, per the plugin

    # -- what Nova and QEMU do ------------------------------------------
    t0 = time.monotonic()
    server = e2e.boot(f'e2e-{row.cpu_mode}-{row.name}', made.id, image)
    boot_seconds = time.monotonic() - t0
    fault = server.get('fault') or {}
    fault_text = f'{fault.get("message", "")}\n{fault.get("details", "")}'
    record = {
        'cpu_mode': row.cpu_mode,
        'row': f'{row.name} ({row.mode}'
        + (f' {bits}' if bits is not None else '')
        + f', {row.ram} MiB, {row.image})',
        'set_refused': set_refused,
        'status': shown['Status'],
        'hosts': shown['Hosts'],
        'predicted_bits': predicted_bits if predicted_boot else '-',
        'nova': server['status'],
        'fault': fault.get('message'),
        'xml': None,
        'qemu_cpu': None,
        'qmp_bits': None,
        'listed_bits': None,
        'boot_seconds': boot_seconds,
    }
    conftest.GRID.append(record)
    if server['status'] == 'ACTIVE':
        domain = server['OS-EXT-SRV-ATTR:instance_name']
        cpu_mode, record['xml'] = guest.maxphysaddr_xml(domain)
        record['qemu_cpu'] = guest.phys_bits_option(guest.qemu_cpu_arg(domain))
        record['qmp_bits'] = guest.phys_bits(domain)
        listed = {
            s['ID']: s
            for s in e2e.openstack_json(
                'server',
                'maxphysaddr',
                'list',
                '--cpu-mode',
                row.cpu_mode,
                '--virt-type',
                e2e.profile.virt_type,
            )
        }
        record['listed_bits'] = listed[server['id']]['Bits']
    else:
        record['nova'] = (
            'NoValidHost'
            if NO_VALID_HOST in fault_text
            else f'ERROR: {guest.fault_cause(fault_text)}'
        )

    # -- agreement ---------------------------------------------------------
    if set_refused:  # set never refuses what boots
        assert not predicted_boot, (first.stderr, shown)
    if not predicted_boot:
        assert server['status'] == 'ERROR', (shown, server['status'])
        if shown['Hosts'] == 0:
            assert NO_VALID_HOST in fault_text, fault
        else:
            assert NO_VALID_HOST not in fault_text, (shown, fault)
        if row.qemu_refuses:
            assert QEMU_TOO_LOW in fault_text, fault
        return
    assert server['status'] == 'ACTIVE', (shown, fault)
    assert not row.qemu_refuses, 'QEMU refuses this guest, yet it started'
    assert record['qmp_bits'] == predicted_bits, record
    assert record['listed_bits'] == record['qmp_bits'], record
    # Nova's translation into libvirt and libvirt's into QEMU (facts).
    if row.mode == 'emulate':
        assert record['xml'] == f'bits={bits} mode=emulate', record
        assert f'phys-bits={bits}' in record['qemu_cpu'], record
    else:
        assert record['xml'] == 'mode=passthrough', record
        assert 'host-phys-bits=on' in record['qemu_cpu'], record
    if row.cpu_mode == 'host-passthrough':
        assert cpu_mode == 'host-passthrough', cpu_mode
