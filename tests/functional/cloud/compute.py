"""The compute profile: real RPC, real libvirt, one real nova-compute.

``up --compute`` adds to the API services: RabbitMQ (with an epmd of its
own, both on 127.0.0.1 ports of this state dir), virtlogd and libvirtd
(the system's, Debian 12: libvirt 9.0, QEMU 7.2), and nova-conductor,
nova-scheduler and one nova-compute with the libvirt driver, run from the
server virtualenv (plus ``libvirt-python``, built against libvirt-dev).
The compute node's ``cpu_info``, traits and maxphysaddr bits then come
from real libvirt, and servers really boot (with ``networks: none``, so
no Neutron is needed).

Facts that shape it:

* ``virt_type`` is ``kvm`` when ``/dev/kvm`` opens read-write, else
  ``qemu`` (TCG, where host-passthrough does not exist).
* QEMU runs as root (``user``/``group`` in /etc/libvirt/qemu.conf, a
  marked block this module appends): ``/dev/kvm`` is often mode 0600
  (libvirt's qemu user then gets "Could not access KVM kernel module:
  Permission denied") and the state dir need not be readable by others.
* ``[libvirt] cpu_mode`` is nova-compute configuration, not per flavor:
  :func:`set_cpu_mode` rewrites ``nova-compute.conf`` and restarts
  nova-compute (the RPC queues survive it, so nothing is lost).
* ``cpu_mode = custom`` needs a model the host can run: the first of
  :data:`CUSTOM_CANDIDATES` that libvirt's ``hypervisor-cpu-compare``
  accepts.
* Domains are named ``layout.DOMAIN_PREFIX + %08x``; ``down`` destroys
  those left over before it stops libvirtd (QEMU outlives libvirtd).
"""

import concurrent.futures
import dataclasses
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from tests.functional.cloud import configs
from tests.functional.cloud import layout as lay
from tests.functional.cloud import procs

RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'
QEMU_CONF = pathlib.Path('/etc/libvirt/qemu.conf')
QEMU_CONF_BEGIN = '# BEGIN osc-maxphysaddr dev cloud (tests/functional/cloud)'
QEMU_CONF_END = '# END osc-maxphysaddr dev cloud'
QEMU_CONF_BLOCK = f"""{QEMU_CONF_BEGIN}
# QEMU runs as root: /dev/kvm may be mode 0600, and the dev cloud's state
# directory need not be readable by libvirt's qemu user.
user = "root"
group = "root"
{QEMU_CONF_END}
"""
LIBVIRT_URI = 'qemu:///system'
LIBVIRTD_PID = pathlib.Path('/run/libvirtd.pid')
VIRTLOGD_PID = pathlib.Path('/run/virtlogd.pid')
VIRTLOGD_SOCK = pathlib.Path('/run/libvirt/virtlogd-sock')

#: apt packages the profile needs (.ci/run installs them).
APT_PACKAGES = (
    'rabbitmq-server',
    'libvirt-daemon-system',
    'qemu-system-x86',
    'qemu-utils',
    'libvirt-dev',
    'pkg-config',
    'gcc',
)
#: Executables that must exist, and the package that brings each.
EXECUTABLES = {
    RABBITMQ_SERVER: 'rabbitmq-server',
    'epmd': 'rabbitmq-server (erlang-base)',
    'libvirtd': 'libvirt-daemon-system',
    'virtlogd': 'libvirt-daemon-system',
    'virsh': 'libvirt-clients',
    'qemu-system-x86_64': 'qemu-system-x86',
    'qemu-img': 'qemu-utils',
    'pkg-config': 'pkg-config',
    'gcc': 'gcc',
}

#: cpu_mode = custom: (model, features to disable), first usable wins.
#: Nested or restricted KVM hosts may offer none of the named models
#: whole; qemu64 without pni/svm runs on such a host (a 2 vCPU VM whose
#: KVM hides SSE3 from nested guests).
CUSTOM_CANDIDATES = (
    ('Broadwell-noTSX-IBRS', ()),
    ('Skylake-Client-noTSX-IBRS', ()),
    ('Nehalem', ()),
    ('qemu64', ()),
    ('qemu64', ('pni', 'svm')),
)
CPU_MODES = ('host-model', 'host-passthrough', 'custom')
#: ``qemu`` makes a new state dir's compute use TCG even where KVM works
#: (to measure the TCG rows there); read only when the profile is made.
VIRT_TYPE_ENV = 'MAXPHYSADDR_DEVCLOUD_VIRT_TYPE'
READY_TIMEOUT = 120


class ComputeError(Exception):
    """The compute profile cannot run here, or did not come up."""


@dataclasses.dataclass
class Profile:
    """What the compute profile runs with (``<state>/compute.json``)."""

    virt_type: str
    cpu_mode: str = 'host-model'
    #: cpu_mode = custom: the model and the features it disables.
    custom_model: str | None = None
    custom_disable: tuple = ()
    #: Why virt_type is qemu (None under kvm).
    no_kvm: str | None = None

    @property
    def cpu_modes(self):
        """The cpu_modes this host offers (no host-passthrough on TCG)."""
        return tuple(
            m
            for m in CPU_MODES
            if not (m == 'host-passthrough' and self.virt_type != 'kvm')
            and not (m == 'custom' and self.custom_model is None)
        )

    def save(self, layout):
        layout.compute_profile.write_text(
            json.dumps(dataclasses.asdict(self), indent=1) + '\n'
        )

    @classmethod
    def load(cls, layout):
        try:
            data = json.loads(layout.compute_profile.read_text())
        except FileNotFoundError:
            return None
        data['custom_disable'] = tuple(data.get('custom_disable') or ())
        return cls(**data)


# -- prerequisites -----------------------------------------------------
def missing():
    """What this machine lacks for the profile: ``[(what, package)]``."""
    lacking = [
        (exe, pkg)
        for exe, pkg in EXECUTABLES.items()
        if not (os.path.isfile(exe) or shutil.which(exe))
    ]
    if (
        shutil.which('pkg-config')
        and subprocess.run(
            ['pkg-config', '--exists', 'libvirt'], check=False
        ).returncode
    ):
        lacking.append(('libvirt.pc (pkg-config)', 'libvirt-dev'))
    if os.geteuid() != 0:
        lacking.append(('root (libvirtd and QEMU run as root)', '-'))
    return lacking


def kvm_problem(path='/dev/kvm'):
    """None when KVM can be used, else why not (then TCG)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        return f'{path}: {exc.strerror}'
    os.close(fd)
    return None


def ensure_qemu_conf(path=QEMU_CONF):
    """Append the marked ``user``/``group`` block unless it is there.

    Refuses a qemu.conf that already sets ``user`` or ``group`` outside
    the block: libvirt would see two values.
    """
    text = path.read_text()
    if QEMU_CONF_BEGIN in text:
        return False
    for line in text.splitlines():
        key = line.split('=', 1)[0].strip()
        if key in ('user', 'group') and '=' in line:
            raise ComputeError(
                f'{path} already sets {key!r} ({line.strip()}); the dev '
                'cloud needs QEMU to run as root: remove that line'
            )
    path.write_text(text.rstrip('\n') + '\n\n' + QEMU_CONF_BLOCK)
    return True


def ensure_libvirt_python(layout, log=print):
    """Install the pinned libvirt-python into the server virtualenv."""
    probe = [str(layout.python), '-c', 'import libvirt']
    if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return False
    log('installing libvirt-python into the server virtualenv')
    proc = subprocess.run(
        [
            str(layout.python),
            '-m',
            'pip',
            'install',
            '--quiet',
            '--disable-pip-version-check',
            '-c',
            str(lay.CONSTRAINTS),
            *lay.COMPUTE_PACKAGES,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise ComputeError(
            'pip could not install libvirt-python (needs libvirt-dev, '
            f'pkg-config, gcc):\n{(proc.stderr + proc.stdout)[-2000:]}'
        )
    return True


# -- libvirt helpers ---------------------------------------------------
def virsh(*args, check=True, timeout=60):
    proc = subprocess.run(
        ['virsh', '-c', LIBVIRT_URI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode:
        raise ComputeError(
            f'virsh {" ".join(args)} failed: {proc.stderr.strip()}'
        )
    return proc


def _custom_cpu_xml(model, disable):
    features = ''.join(
        f"<feature policy='disable' name='{f}'/>" for f in disable
    )
    return (
        f"<cpu mode='custom' match='exact'>"
        f"<model fallback='forbid'>{model}</model>{features}</cpu>"
    )


def choose_custom_model(virt_type):
    """The first of CUSTOM_CANDIDATES libvirt says this host can run."""
    for model, disable in CUSTOM_CANDIDATES:
        with tempfile.NamedTemporaryFile('w', suffix='.xml') as f:
            f.write(_custom_cpu_xml(model, disable))
            f.flush()
            proc = virsh(
                'hypervisor-cpu-compare',
                '--virttype',
                virt_type,
                f.name,
                check=False,
            )
        if proc.returncode == 0 and 'incompatible' not in proc.stdout:
            return model, disable
    return None, ()


def our_domains():
    """Names of the libvirt domains this dev cloud's Nova made."""
    proc = virsh('list', '--all', '--name', check=False)
    return [n for n in proc.stdout.split() if n.startswith(lay.DOMAIN_PREFIX)]


def destroy_our_domains():
    """Destroy and undefine leftover domains (Nova lost track of them)."""
    names = our_domains()
    for name in names:
        virsh('destroy', name, check=False)
        virsh('undefine', '--nvram', name, check=False)
    return names


# -- processes ---------------------------------------------------------
def _wait(what, ready, proc, layout, service, timeout=READY_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.2)
    log = layout.log_dir / f'{service}-stdout.log'
    tail = log.read_text(errors='replace')[-3000:] if log.exists() else ''
    raise ComputeError(f'{what} did not come up:\n{tail}')


def _port_open(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1):
            return True
    except OSError:
        return False


def _foreign_pid(pid_file, service, layout):
    """A live pid in a system pid file that is not ours, else None."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if not pathlib.Path(f'/proc/{pid}').exists():
        return None
    return None if procs.read_pid(layout, service) == pid else pid


def rabbit_env(layout, ports):
    """RabbitMQ and epmd on loopback ports, all state in the state dir."""
    base = layout.rabbit_dir
    env = procs.clean_env()
    env.update(
        {
            'HOME': str(base),  # the Erlang cookie lives here
            'RABBITMQ_NODENAME': 'devcloud@localhost',
            'RABBITMQ_NODE_IP_ADDRESS': '127.0.0.1',
            'RABBITMQ_NODE_PORT': str(ports['rabbitmq']),
            'RABBITMQ_DIST_PORT': str(ports['rabbitmq-dist']),
            'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS': (
                '-kernel inet_dist_use_interface {127,0,0,1}'
            ),
            'ERL_EPMD_ADDRESS': '127.0.0.1',
            'ERL_EPMD_PORT': str(ports['epmd']),
            'RABBITMQ_MNESIA_BASE': str(base / 'mnesia'),
            'RABBITMQ_LOG_BASE': str(layout.log_dir / 'rabbitmq'),
            'RABBITMQ_CONFIG_FILE': str(base / 'rabbitmq'),
            'RABBITMQ_ENABLED_PLUGINS_FILE': str(base / 'enabled_plugins'),
            'RABBITMQ_PID_FILE': str(base / 'rabbitmq.pid'),
        }
    )
    return env


def _nova_argv(layout, binary):
    etc = layout.conf_dir('nova')
    argv = [
        str(layout.python),
        str(lay.HERE / 'nova_service.py'),
        binary.removeprefix('nova-'),
        '--config-file',
        str(etc / 'nova.conf'),
        '--log-file',
        str(layout.log_dir / f'{binary}.log'),
    ]
    if binary == 'nova-compute':
        argv += ['--config-file', str(etc / 'nova-compute.conf')]
    return argv


def _queues(layout, ports):
    """``{queue: consumers}`` from rabbitmqctl."""
    proc = subprocess.run(
        [
            str(pathlib.Path(RABBITMQ_SERVER).with_name('rabbitmqctl')),
            '-q',
            'list_queues',
            'name',
            'consumers',
        ],
        capture_output=True,
        text=True,
        env=rabbit_env(layout, ports),
        timeout=60,
        check=False,
    )
    queues = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            queues[parts[0]] = int(parts[1])
    return queues


def wait_consumers(layout, ports, names, proc=None, service='nova-compute'):
    """Wait until each RPC queue in ``names`` has a consumer."""

    def ready():
        queues = _queues(layout, ports)
        return all(queues.get(n, 0) > 0 for n in names)

    _wait(f'RPC consumers of {", ".join(names)}', ready, proc, layout, service)


def write_compute_conf(layout, profile):
    custom = profile.cpu_mode == 'custom'
    (layout.conf_dir('nova') / 'nova-compute.conf').write_text(
        configs.nova_compute_conf(
            layout,
            profile.virt_type,
            profile.cpu_mode,
            [profile.custom_model] if custom else [],
            [f'-{f}' for f in profile.custom_disable] if custom else [],
        )
    )


def start_platform(layout, ports, children):
    """epmd, RabbitMQ, virtlogd, libvirtd (waiting for each)."""
    for pid_file, service in (
        (VIRTLOGD_PID, 'virtlogd'),
        (LIBVIRTD_PID, 'libvirtd'),
    ):
        pid = _foreign_pid(pid_file, service, layout)
        if pid:
            raise ComputeError(
                f'{service} is already running (pid {pid}) and was not '
                f'started by this dev cloud ({layout.state}); stop it first'
            )
    base = layout.rabbit_dir
    base.mkdir(parents=True, exist_ok=True)
    (base / 'enabled_plugins').write_text('[].\n')
    env = rabbit_env(layout, ports)
    children['epmd'] = procs.spawn(
        layout,
        'epmd',
        ['epmd', '-address', '127.0.0.1', '-port', str(ports['epmd'])],
        env,
        layout.log_dir / 'epmd-stdout.log',
    )
    _wait(
        'epmd',
        lambda: _port_open(ports['epmd']),
        children['epmd'],
        layout,
        'epmd',
    )
    children['rabbitmq'] = procs.spawn(
        layout,
        'rabbitmq',
        [RABBITMQ_SERVER],
        env,
        layout.log_dir / 'rabbitmq-stdout.log',
    )
    env = procs.clean_env()
    children['virtlogd'] = procs.spawn(
        layout,
        'virtlogd',
        ['virtlogd'],
        env,
        layout.log_dir / 'virtlogd-stdout.log',
    )
    _wait(
        'virtlogd',
        VIRTLOGD_SOCK.exists,
        children['virtlogd'],
        layout,
        'virtlogd',
    )
    children['libvirtd'] = procs.spawn(
        layout,
        'libvirtd',
        ['libvirtd'],
        env,
        layout.log_dir / 'libvirtd-stdout.log',
    )
    _wait(
        'libvirtd',
        lambda: virsh('version', check=False).returncode == 0,
        children['libvirtd'],
        layout,
        'libvirtd',
    )
    _wait(
        'RabbitMQ',
        lambda: _port_open(ports['rabbitmq']),
        children['rabbitmq'],
        layout,
        'rabbitmq',
    )


def start_nova(layout, ports, children):
    """nova-conductor, nova-scheduler, nova-compute; wait for their RPC."""
    env = procs.clean_env()
    for binary in ('nova-conductor', 'nova-scheduler', 'nova-compute'):
        children[binary] = procs.spawn(
            layout,
            binary,
            _nova_argv(layout, binary),
            env,
            layout.log_dir / f'{binary}-stdout.log',
        )
    wait_consumers(
        layout,
        ports,
        ('conductor', 'scheduler', f'compute.{lay.COMPUTE_HOST}'),
        children['nova-compute'],
    )


def discover_hosts(layout):
    """Map the compute host to cell1 (once per state dir)."""
    stamp = layout.state / 'hosts-discovered'
    if stamp.exists():
        return False
    conf = str(layout.conf_dir('nova') / 'nova.conf')
    proc = subprocess.run(
        [
            str(layout.bin('nova-manage')),
            '--config-file',
            conf,
            'cell_v2',
            'discover_hosts',
            '--verbose',
        ],
        capture_output=True,
        text=True,
        cwd=layout.state,
        check=False,
    )
    if proc.returncode:
        raise ComputeError(
            f'nova-manage cell_v2 discover_hosts failed:\n'
            f'{(proc.stderr + proc.stdout)[-2000:]}'
        )
    stamp.write_text(proc.stdout)
    return True


def stop_nova_compute(layout):
    """Stop nova-compute and its privsep helper (its process group)."""
    pid = procs.read_pid(layout, 'nova-compute')
    if pid is None:
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    return procs.stop(layout, 'nova-compute')


def set_cpu_mode(layout, ports, profile, cpu_mode, children):
    """Restart nova-compute with ``[libvirt] cpu_mode = cpu_mode``."""
    if cpu_mode not in profile.cpu_modes:
        raise ComputeError(
            f'cpu_mode {cpu_mode} is not offered here '
            f'(virt_type {profile.virt_type}: {", ".join(profile.cpu_modes)})'
        )
    if cpu_mode == profile.cpu_mode and procs.read_pid(layout, 'nova-compute'):
        return False
    stop_nova_compute(layout)
    old = children.pop('nova-compute', None)
    if old is not None:
        old.wait(timeout=30)
    profile.cpu_mode = cpu_mode
    profile.save(layout)
    write_compute_conf(layout, profile)
    children['nova-compute'] = procs.spawn(
        layout,
        'nova-compute',
        _nova_argv(layout, 'nova-compute'),
        procs.clean_env(),
        layout.log_dir / 'nova-compute-stdout.log',
    )
    wait_consumers(
        layout,
        ports,
        (f'compute.{lay.COMPUTE_HOST}',),
        children['nova-compute'],
    )
    return True


def new_profile(layout):
    """Decide virt_type and the custom model; check the prerequisites."""
    lacking = missing()
    if lacking:
        raise ComputeError(
            'the compute profile needs: '
            + ', '.join(f'{what} ({pkg})' for what, pkg in lacking)
        )
    no_kvm = kvm_problem()
    forced = os.environ.get(VIRT_TYPE_ENV)
    if forced == 'qemu':
        no_kvm = f'{VIRT_TYPE_ENV}=qemu'
    elif forced not in (None, '', 'kvm'):
        raise ComputeError(f'{VIRT_TYPE_ENV} is kvm or qemu, not {forced}')
    return Profile(
        virt_type='qemu' if no_kvm else 'kvm',
        no_kvm=no_kvm,
    )


#: ``down``'s order; the services of one stage stop together.
STOP_STAGES = (
    ('nova-compute', 'nova-scheduler', 'nova-conductor'),
    ('libvirtd', 'virtlogd'),
    ('rabbitmq',),
    ('epmd',),
)


def stop_all(layout, log=print):
    """Stop the profile's processes (domains first); return their names."""
    stopped = []
    for stage in STOP_STAGES:
        if 'libvirtd' in stage and procs.read_pid(layout, 'libvirtd'):
            left = destroy_our_domains()
            if left:
                log(f'destroyed leftover domains: {", ".join(left)}')
        with concurrent.futures.ThreadPoolExecutor(len(stage)) as pool:
            done = pool.map(
                lambda s: (
                    stop_nova_compute(layout)
                    if s == 'nova-compute'
                    else procs.stop(layout, s)
                ),
                stage,
            )
            stopped += [s for s, d in zip(stage, done, strict=True) if d]
    return stopped
