"""Run the real qemu-system-x86_64 and OVMF under TCG (no KVM needed).

Three probes, each a plain function the tests call from a small thread pool:

- :func:`qemu_starts` starts QEMU with ``-S`` (no guest code runs) and asks
  it over QMP whether it is up. QEMU's address-space check
  (``pc_memory_init``) runs before the QMP monitor answers a command, so an
  answer means QEMU started; exit status 1 and "phys-bits too low" means it
  refused.
- :func:`ovmf_bars` boots OVMF to the UEFI shell with a ``startup.nsh``
  that dumps each ivshmem device's PCI config space and powers off; it
  returns BAR2 of each device (``None`` where the firmware left it
  unassigned), or ``None`` for the whole boot when the firmware never
  reached the shell (it hangs when it cannot place a BAR).
- :func:`seabios_bars` boots SeaBIOS (QEMU's default firmware) with the
  same devices and a virtio-net device, and reads where it put each 64-bit
  BAR from its debug log (``isa-debugcon`` on port 0x402, lines ``PCI: map
  device bdf=...  bar 2, addr ...``). SeaBIOS never refuses a BAR: it
  assigns it, above the guest's address space if need be.

RAM and the devices' memory are ``reserve=off`` memory backends: QEMU maps
them sparse, so a 4 TiB guest costs the host next to nothing.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import threading
import time

QEMU = 'qemu-system-x86_64'
OVMF_CODE = pathlib.Path('/usr/share/OVMF/OVMF_CODE_4M.fd')
OVMF_VARS = pathlib.Path('/usr/share/OVMF/OVMF_VARS_4M.fd')
#: QEMU's default firmware for pc and q35 (Debian package seabios)
SEABIOS = pathlib.Path('/usr/share/seabios/bios-256k.bin')
VENDOR_IDS = {'intel': 'GenuineIntel', 'amd': 'AuthenticAMD'}
MIB = 1 << 20
GIB = 1 << 30

#: How long QEMU may take to answer QMP with -S; it takes well under a
#: second, even for 4 TiB.
QEMU_TIMEOUT = 30.0
#: A firmware that cannot place a BAR hangs: it prints nothing and halts
#: its CPU (HLT with interrupts on, an idle loop), so its QEMU process stops
#: asking for CPU. A boot is given up as hung when the console is still
#: empty and QEMU's threads wanted less than IDLE_DEMAND seconds of CPU
#: (time run plus time waiting to run, /proc/PID/task/*/schedstat, so a
#: busy machine does not look idle) in the last IDLE_WINDOW seconds: a
#: booting guest wants a whole core under TCG, a hung one about 0.03 s a
#: second. OVMF_TIMEOUT is the backstop. A successful boot takes 7-10 s of
#: CPU (9 s from start to power-off when it runs alone).
OVMF_TIMEOUT = float(os.environ.get('MAXPHYSADDR_OVMF_TIMEOUT', '300'))
IDLE_WINDOW = 20.0
IDLE_DEMAND = 5.0

IVSHMEM = '1AF4 Device 1110'


def binaries_missing(*, firmware: bool, seabios: bool = False) -> str | None:
    """Why the real-binary tests cannot run here, or None."""
    missing = []
    if shutil.which(QEMU) is None:
        missing.append(f'{QEMU} (Debian package qemu-system-x86)')
    if firmware and not (OVMF_CODE.is_file() and OVMF_VARS.is_file()):
        missing.append(f'{OVMF_CODE} and {OVMF_VARS} (Debian package ovmf)')
    if seabios and not SEABIOS.is_file():
        missing.append(f'{SEABIOS} (Debian package seabios)')
    if not missing:
        return None
    return 'not installed: ' + ', '.join(missing)


def qemu_version() -> str:
    out = subprocess.run(
        [QEMU, '--version'], capture_output=True, text=True, check=True
    )
    return out.stdout.splitlines()[0]


def _cpu(vendor: str, bits: int) -> str:
    # pdpe1gb: OVMF caps its width at 40 bits without 1 GiB pages
    # (PlatformAddressWidthFromCpuid); the model assumes a guest CPU that
    # has them, as every x86-64 server CPU of the last decade does.
    return f'qemu64,vendor={VENDOR_IDS[vendor]},phys-bits={bits},pdpe1gb=on'


def _guest(machine: str, vendor: str, bits: int, ram_mib: int) -> list[str]:
    """QEMU, the machine type under TCG, the CPU and its sparse RAM."""
    return [
        QEMU,
        '-machine',
        f'{machine},accel=tcg',
        '-cpu',
        _cpu(vendor, bits),
        '-object',
        f'memory-backend-ram,id=ram0,size={ram_mib}M,reserve=off',
        '-machine',
        'memory-backend=ram0',
        '-m',
        f'{ram_mib}M',
    ]


@dataclasses.dataclass(frozen=True)
class Start:
    """What QEMU did with -S: started (and where it put RAM), or refused."""

    started: bool
    returncode: int | None
    message: str
    seconds: float
    #: (first, last) guest-physical address of each RAM alias QEMU mapped
    #: ('ram-below-4g', 'ram-above-4g'), from ``info mtree``
    ram: dict[str, tuple[int, int]]

    def refusal(self) -> tuple[int, int] | None:
        """(address space limit, max used address) QEMU printed."""
        found = _REFUSAL.search(self.message)
        if found is None:
            return None
        return int(found.group(1), 16), int(found.group(2), 16)


_REFUSAL = re.compile(
    r'Address space limit 0x([0-9a-f]+) < 0x([0-9a-f]+) '
    r'phys-bits too low \((\d+)\)'
)
_RAM_ALIAS = re.compile(
    r'([0-9a-f]{16})-([0-9a-f]{16}) \(prio \d+, ram\): '
    r'alias (ram-(?:below|above)-4g) '
)


def qemu_starts(machine: str, vendor: str, bits: int, ram_mib: int) -> Start:
    """Start QEMU paused and see whether it gets past its start checks."""
    argv = [
        *_guest(machine, vendor, bits, ram_mib),
        '-S',
        '-display',
        'none',
        '-nodefaults',
        '-qmp',
        'stdio',
    ]
    # QMP answers commands only once the machine is built (after
    # pc_memory_init); 'quit' then ends QEMU cleanly with exit 0.
    commands = ''.join(
        json.dumps({'execute': c}) + '\n'
        for c in ('qmp_capabilities', 'query-status')
    )
    commands += json.dumps(
        {
            'execute': 'human-monitor-command',
            'arguments': {'command-line': 'info mtree'},
        }
    )
    commands += '\n' + json.dumps({'execute': 'quit'}) + '\n'
    began = time.monotonic()
    proc = subprocess.run(
        argv,
        input=commands,
        capture_output=True,
        text=True,
        timeout=QEMU_TIMEOUT,
        check=False,
    )
    seconds = time.monotonic() - began
    answered = '"status": "prelaunch"' in proc.stdout
    mtree = proc.stdout.replace('\\n', '\n')
    ram = {
        m.group(3): (int(m.group(1), 16), int(m.group(2), 16))
        for m in _RAM_ALIAS.finditer(mtree)
    }
    return Start(
        started=answered and proc.returncode == 0,
        returncode=proc.returncode,
        message=proc.stderr.strip(),
        seconds=seconds,
        ram=ram,
    )


@dataclasses.dataclass(frozen=True)
class Boot:
    """What OVMF did: reached the shell (or not), and each BAR2."""

    reached_shell: bool
    bars: tuple[int | None, ...]  # BAR2 per device; None: unassigned
    seconds: float
    log: str

    @property
    def all_placed(self) -> bool:
        return self.reached_shell and all(b is not None for b in self.bars)


_DUMP_HEADER = re.compile(
    r'PCI Segment 00 Bus ([0-9A-F]{2}) Device ([0-9A-F]{2}) '
    r'Func ([0-9A-F]{2})'
)
_DUMP_LINE = re.compile(
    r'^\s*([0-9A-F]{8}): ((?:[0-9A-F]{2}[ -]){15}[0-9A-F]{2})', re.M
)


def _config_spaces(log: str) -> dict[tuple[int, int, int], bytes]:
    """Each ``pci B D F`` dump in the shell's output, as bytes."""
    clean = re.sub(r'\x1b\[[0-9;]*[A-Za-z]', '', log)
    spaces = {}
    parts = _DUMP_HEADER.split(clean)
    # parts: [before, bus, dev, fn, body, bus, dev, fn, body, ...]
    for i in range(1, len(parts) - 3, 4):
        bdf = (int(parts[i], 16), int(parts[i + 1], 16), int(parts[i + 2], 16))
        data = bytearray()
        for match in _DUMP_LINE.finditer(parts[i + 3]):
            if int(match.group(1), 16) != len(data):
                break
            data += bytes.fromhex(match.group(2).replace('-', ' '))
        spaces[bdf] = bytes(data)
    return spaces


def bar2(config: bytes) -> int | None:
    """BAR2 of an ivshmem device (64-bit: offsets 0x18 and 0x1c)."""
    low = int.from_bytes(config[0x18:0x1C], 'little')
    high = int.from_bytes(config[0x1C:0x20], 'little')
    address = (high << 32) | (low & ~0xF)
    return address or None


def ovmf_bars(
    machine: str,
    vendor: str,
    bits: int,
    ram_mib: int,
    bars: list[int],
    *,
    root_ports: bool = False,
) -> Boot:
    """Boot OVMF with one ivshmem device per BAR size; read back BAR2."""
    with tempfile.TemporaryDirectory(prefix='maxphysaddr-ovmf-') as tmp:
        return _boot(
            pathlib.Path(tmp), machine, vendor, bits, ram_mib, bars, root_ports
        )


def _ivshmem(
    bars: list[int], root_ports: bool
) -> tuple[list[str], list[tuple[int, int, int]]]:
    """One ivshmem device per BAR size: (argv, each device's bus/dev/fn)."""
    devices: list[str] = []
    where: list[tuple[int, int, int]] = []
    for i, size in enumerate(bars):
        devices += [
            '-object',
            f'memory-backend-ram,id=bar{i},size={size // MIB}M,'
            'share=on,reserve=off',
        ]
        slot = 3 + i
        if root_ports:
            # As libvirt does on q35: each device behind its own
            # pcie-root-port; OVMF numbers the buses in slot order.
            devices += [
                '-device',
                f'pcie-root-port,id=rp{i},bus=pcie.0,addr={slot:#x},'
                f'chassis={i + 1}',
                '-device',
                f'ivshmem-plain,memdev=bar{i},bus=rp{i},addr=0',
            ]
            where.append((i + 1, 0, 0))
        else:
            devices += ['-device', f'ivshmem-plain,memdev=bar{i},addr={slot}']
            where.append((0, slot, 0))
    return devices, where


def _boot(
    tmp: pathlib.Path,
    machine: str,
    vendor: str,
    bits: int,
    ram_mib: int,
    bars: list[int],
    root_ports: bool,
) -> Boot:
    vars_copy = tmp / 'vars.fd'
    shutil.copyfile(OVMF_VARS, vars_copy)
    fat = tmp / 'fat'
    fat.mkdir()
    devices, where = _ivshmem(bars, root_ports)
    script = [f'pci {b:02x} {d:02x} {f:02x}' for b, d, f in where]
    (fat / 'startup.nsh').write_text(
        '\r\n'.join(['pci', *script, 'reset -s', '']), encoding='ascii'
    )
    argv = [
        *_guest(machine, vendor, bits, ram_mib),
        '-drive',
        f'if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}',
        '-drive',
        f'if=pflash,format=raw,unit=1,file={vars_copy}',
        *devices,
        # the shell's file system: OVMF's own virtio-blk device, which has
        # a 64-bit BAR in the same window as the big ones
        '-drive',
        f'file=fat:rw:{fat},format=raw,if=virtio',
        '-display',
        'none',
        '-nodefaults',
        '-no-reboot',
        '-serial',
        'stdio',
    ]
    began = time.monotonic()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    out = bytearray()
    reader = threading.Thread(target=_drain, args=(proc, out))
    reader.start()
    hung = _wait_or_hang(proc, began, out)
    if hung:
        proc.kill()
        proc.wait()
    reader.join()
    seconds = time.monotonic() - began
    log = out.decode('ascii', 'replace')
    spaces = _config_spaces(log)
    reached = 'Shell>' in log and proc.returncode == 0
    found = tuple(
        bar2(spaces[bdf]) if bdf in spaces else None for bdf in where
    )
    return Boot(reached, found, seconds, log)


def _cpu_demand(pid: int) -> float | None:
    """Seconds QEMU's threads ran or waited to run, or None if gone."""
    total = 0
    try:
        for task in pathlib.Path(f'/proc/{pid}/task').iterdir():
            ran, waited = (task / 'schedstat').read_text().split()[:2]
            total += int(ran) + int(waited)
    except (OSError, ValueError):
        return None
    return total / 1e9


def _wait_or_hang(
    proc: subprocess.Popen[bytes], began: float, out: bytearray
) -> bool:
    """Wait for QEMU to exit; True if it was given up as hung."""
    samples: list[tuple[float, float]] = []
    while True:
        try:
            proc.wait(timeout=1.0)
            return False
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        if now - began > OVMF_TIMEOUT:
            return True
        demand = _cpu_demand(proc.pid)
        if demand is None:
            continue
        samples.append((now, demand))
        old = [s for s in samples if now - s[0] >= IDLE_WINDOW]
        if not out and old and demand - old[-1][1] < IDLE_DEMAND:
            return True


def _drain(proc: subprocess.Popen[bytes], out: bytearray) -> None:
    """Collect the serial console; skip the shell's 5 s startup countdown."""
    assert proc.stdout is not None and proc.stdin is not None
    pressed = False
    while True:
        chunk = proc.stdout.read1(4096)  # type: ignore[attr-defined]
        if not chunk:
            break
        out += chunk
        if not pressed and b'startup.nsh' in out and b'Press' in out:
            # "Press ESC in 5 seconds to skip startup.nsh or any other key
            # to continue": any other key runs it at once.
            pressed = True
            try:
                proc.stdin.write(b' ')
                proc.stdin.flush()
            except OSError:
                pass


@dataclasses.dataclass(frozen=True)
class BiosBoot:
    """Where SeaBIOS put each device's 64-bit BAR, from its debug log."""

    version: str  # as SeaBIOS printed it: 1.16.2-debian-1.16.2-1
    #: (address, size) of BAR2 per ivshmem device; None: not mapped
    bars: tuple[tuple[int, int] | None, ...]
    #: (address, size) of the virtio-net device's 64-bit BAR4
    own: tuple[int, int] | None
    seconds: float
    log: str


_MAPPED = re.compile(
    r'PCI: map device bdf=([0-9a-f]{2}):([0-9a-f]{2})\.([0-9a-f])\s+'
    r'bar (\d+), addr ([0-9a-f]+), size ([0-9a-f]+)'
)
_SEABIOS_VERSION = re.compile(r'SeaBIOS \(version ([^)]+)\)')
#: pci_setup's last words (pci_enable_default_vga): every BAR is mapped
_PCI_DONE = re.compile(r'PCI: (No VGA devices found|Enabling .* VGA)')
#: the virtio-net device's slot, clear of the ivshmem devices' (3 up)
_VIRTIO_SLOT = 0x1E


def mapped_bars(log: str) -> dict[tuple[int, int, int, int], tuple[int, int]]:
    """``(bus, dev, fn, bar) -> (address, size)`` from SeaBIOS's log."""
    return {
        (int(m[1], 16), int(m[2], 16), int(m[3], 16), int(m[4])): (
            int(m[5], 16),
            int(m[6], 16),
        )
        for m in _MAPPED.finditer(log)
    }


def seabios_bars(
    machine: str,
    vendor: str,
    bits: int,
    ram_mib: int,
    bars: list[int],
    *,
    root_ports: bool = False,
) -> BiosBoot:
    """Boot SeaBIOS with one ivshmem device per BAR size and a virtio-net
    device (the guest's own 64-bit BAR); read where each BAR went."""
    with tempfile.TemporaryDirectory(prefix='maxphysaddr-seabios-') as tmp:
        path = pathlib.Path(tmp) / 'debug.log'
        devices, where = _ivshmem(bars, root_ports)
        argv = [
            *_guest(machine, vendor, bits, ram_mib),
            '-bios',
            str(SEABIOS),
            *devices,
            '-netdev',
            'user,id=net0',
            '-device',
            f'virtio-net-pci,netdev=net0,addr={_VIRTIO_SLOT:#x}',
            '-chardev',
            f'file,id=dbg,path={path}',
            '-device',
            'isa-debugcon,iobase=0x402,chardev=dbg',
            '-display',
            'none',
            '-nodefaults',
            '-no-reboot',
        ]
        began = time.monotonic()
        proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        log = ''
        try:
            while time.monotonic() - began < OVMF_TIMEOUT:
                log = (
                    path.read_text('ascii', 'replace') if path.exists() else ''
                )
                if _PCI_DONE.search(log) or proc.poll() is not None:
                    break
                time.sleep(0.1)
        finally:
            proc.kill()
            _, err = proc.communicate()
        seconds = time.monotonic() - began
        log = path.read_text('ascii', 'replace') if path.exists() else ''
    if not _PCI_DONE.search(log):
        raise RuntimeError(
            f'SeaBIOS did not finish its PCI setup in {seconds:.0f} s: '
            f'{err.decode(errors="replace").strip()}\n{log[-2000:]}'
        )
    version = _SEABIOS_VERSION.search(log)
    mapped = mapped_bars(log)
    return BiosBoot(
        version=version.group(1) if version else '',
        bars=tuple(mapped.get((*bdf, 2)) for bdf in where),
        own=mapped.get((0, _VIRTIO_SLOT, 0, 4)),
        seconds=seconds,
        log=log,
    )


def in_parallel(boot, cases, workers: int) -> dict:
    """``boot(case)`` for every case, ``workers`` at a time: {case: result}."""
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = {case: pool.submit(boot, case) for case in cases}
        return {case: f.result() for case, f in futures.items()}
