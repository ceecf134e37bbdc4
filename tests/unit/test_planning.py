"""Capacity planning rules: --bits auto and host counts, with the model."""

import os_traits
import pytest
from hypothesis import given
from hypothesis import strategies as st

from osc_maxphysaddr import core
from tests import facts

E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH
TIB_MIB = 1 << 20  # 1 TiB in MiB


@pytest.mark.parametrize(
    'bits,text',
    [
        (40, '1 TiB'),
        (42, '4 TiB'),
        (46, '64 TiB'),
        (48, '256 TiB'),
        (52, '4 PiB'),
        (32, '4 GiB'),
    ],
)
def test_width_table(bits, text):
    assert core.format_bytes(1 << bits) == text


def host(bits, traits=(E,), state='up', status='enabled'):
    return core.Host(bits, frozenset(traits), state, status)


def requirement(specs, context=None):
    """The one host requirement of a flavor (with its guest)."""
    return core.diagnose_pair(specs, None, context).requirement


def guest(context):
    """The guest --bits auto writes a width for."""
    return core.HostRequirement(
        context=context, cpu_mode=context.platform.cpu_mode
    )


def test_auto_bits_is_the_lowest_eligible_width():
    hosts = [
        host(46),
        host(42),
        host(39, traits=(P,)),  # no EMULATED trait
        host(40, state='down'),
        host(41, status='disabled'),
        host(None),  # reports no width
        host(48),
    ]
    assert core.auto_bits(hosts) == 42


@pytest.mark.parametrize(
    'hosts',
    [
        [],
        [host(None)],
        [host(46, traits=(P,))],
        [host(46, state='down')],
        [core.Host(46, None)],
    ],
)
def test_auto_bits_needs_a_reporting_host(hosts):
    with pytest.raises(core.NoReportingHost, match='reports its address'):
        core.auto_bits(hosts)


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(30, 56)),
            st.sets(st.sampled_from([E, P])),
            st.sampled_from(['up', 'down']),
            st.sampled_from(['enabled', 'disabled']),
        )
    )
)
def test_auto_bits_writes_a_width_every_pooled_host_takes(rows):
    # Which hosts are in the pool: the tables above; here, that the width
    # chosen is the pool's lowest and every pooled host takes the flavor.
    hosts = [host(b, t, s, st_) for b, t, s, st_ in rows]
    pool = core.auto_pool(hosts)
    try:
        bits = core.auto_bits(hosts)
    except core.MaxphysaddrError:
        assert not pool
        return
    # The width itself is one QEMU accepts: Config raises otherwise.
    written = requirement(core.Config('emulate', bits).extra_specs())
    assert bits == min(h.bits for h in pool)
    assert all(written.admits(h) for h in pool)


def test_takers():
    hosts = [
        host(46),
        host(42),
        host(40),
        host(46, state='down'),
        host(46, traits=(P,)),
    ]
    emulate_42 = requirement(core.Config('emulate', 42).extra_specs())
    assert core.takers(emulate_42, hosts) == hosts[:2]
    passthrough = requirement(core.Config('passthrough').extra_specs())
    assert core.takers(passthrough, hosts) == [hosts[4]]
    assert core.takers(emulate_42, [host(46), core.Host(46, None)]) is None


def test_takers_leave_out_a_host_that_applies_no_width_for_passthrough():
    # Nova 28 computes hold both traits but report no width: Nova
    # schedules a passthrough guest there, which gets QEMU's default.
    nova_28 = host(None, (E, P))
    hosts = [host(46, (E, P)), nova_28]
    assert nova_28.applies_no_width
    passthrough = requirement(core.Config('passthrough').extra_specs())
    assert passthrough.scheduled(nova_28)
    assert core.takers(passthrough, hosts) == hosts[:1]
    assert core.without_width(hosts) == [nova_28]


def test_auto_bits_ignores_widths_qemu_cannot_take():
    hosts = [host(30), host(60), host(42), host(44)]
    assert core.auto_bits(hosts) == 42
    with pytest.raises(core.NoReportingHost, match='32 to 52'):
        core.auto_bits([host(30), host(60)])


# Measured: a 1012 GiB pc guest starts at 40 bits on Intel, 41 on AMD.
AMD_HOLE = guest(
    core.guest_context(facts.AMD_HOLE_RAM_MIB, {}, core.Platform())
)
INTEL_NEEDS = facts.AMD_HOLE_INTEL_NEEDS
AMD_NEEDS = facts.AMD_HOLE_AMD_NEEDS


def test_auto_bits_climbs_for_every_admitted_host_whatever_its_state():
    unknown = [host(40), host(46)]  # vendor None: Intel and AMD alike
    assert core.auto_bits(unknown, AMD_HOLE) == AMD_NEEDS
    intel_vendor = [
        core.Host(h.bits, h.traits, h.state, h.status, core.INTEL)
        for h in unknown
    ]
    assert core.auto_bits(intel_vendor, AMD_HOLE) == INTEL_NEEDS
    amd_down = core.Host(46, frozenset((E,)), 'down', 'enabled', core.AMD)
    assert core.auto_bits(intel_vendor + [amd_down], AMD_HOLE) == AMD_NEEDS
    # a host the scheduler would not admit does not count
    amd_other = core.Host(46, frozenset((P,)), 'up', 'enabled', core.AMD)
    assert core.auto_bits(intel_vendor + [amd_other], AMD_HOLE) == INTEL_NEEDS


def test_auto_bits_refuses_only_when_no_width_up_to_the_widest_works():
    intel_39 = core.Host(39, frozenset((E,)), vendor=core.INTEL)
    with pytest.raises(core.MaxphysaddrError, match=f'needs {INTEL_NEEDS} '):
        core.auto_bits([intel_39], AMD_HOLE)
    amd_39 = core.Host(39, frozenset((E,)), vendor=core.AMD)
    with pytest.raises(core.MaxphysaddrError, match=f'needs {AMD_NEEDS} '):
        core.auto_bits([intel_39, amd_39], AMD_HOLE)


def test_takers_count_only_hosts_where_the_guest_boots():
    q35 = core.Platform(core.Q35)
    hosts = [host(35, (P,)), host(36, (P,)), host(None, (P,))]
    specs = core.Config('passthrough').extra_specs()
    # each host's own width decides; a host without one applies none
    on_q35 = requirement(specs, core.guest_context(2048, specs, q35))
    assert core.takers(on_q35, hosts) == hosts[1:2]
    assert core.takers(requirement(specs), hosts) == hosts[:2]
    specs = core.Config('emulate', 35).extra_specs()
    emulate = requirement(specs, core.guest_context(2048, specs, q35))
    assert core.takers(emulate, [host(46)]) == []
    assert len(core.takers(requirement(specs), [host(46)])) == 1


@pytest.mark.parametrize(
    'cpu_mode,takers', [('host-model', []), ('host-passthrough', [0, 1])]
)
def test_emulate_on_host_passthrough_boots_at_each_hosts_width(
    cpu_mode, takers
):
    # A 2 GiB q35 guest needs 36 bits. On host-passthrough CPUs an emulate
    # 35 guest gets its host's width: it boots on 36 and 46 bit hosts, and
    # a host that reports no width is not counted.
    platform = core.Platform(core.Q35, cpu_mode=cpu_mode)
    specs = core.Config('emulate', 35).extra_specs()
    emulate = requirement(specs, core.guest_context(2048, specs, platform))
    hosts = [host(36), host(46), host(None)]
    assert emulate.width_on(hosts[1]) == (46 if takers else 35)
    assert core.takers(emulate, hosts) == [hosts[i] for i in takers]


def test_auto_bits_on_host_passthrough_judges_each_hosts_width():
    # 35 only selects hosts there: the guest boots on every host of at
    # least 36 bits at that host's width, so the lowest width is taken.
    platform = core.Platform(core.Q35, cpu_mode=core.HOST_PASSTHROUGH)
    context = core.guest_context(2048, {}, platform)
    assert core.auto_bits([host(36), host(46)], guest(context)) == 36
    on_host_model = core.guest_context(2048, {}, core.Platform(core.Q35))
    assert core.auto_bits([host(35), host(46)], guest(on_host_model)) == 36
    # a guest that fits no host's own width is refused as such
    big = core.guest_context(2 * TIB_MIB, {}, platform)
    with pytest.raises(core.NoWidthBoots, match="gets its host's width"):
        core.auto_bits([host(40), host(41)], guest(big))


def test_under_tcg_passthrough_gets_qemus_width_on_every_host():
    # QEMU ignores host-phys-bits without KVM: the guest keeps 40 bits,
    # whatever the host reports, and emulate never follows the host.
    specs = core.Config('passthrough').extra_specs()
    tcg = core.Platform(core.Q35, virt_type=core.TCG)
    small = requirement(specs, core.guest_context(2048, specs, tcg))
    hosts = [host(46, (P,)), host(None, (P,))]
    assert [small.width_on(h) for h in hosts] == [core.TCG_BITS] * 2
    assert core.takers(small, hosts) == hosts
    # 2 TiB does not start at 40 bits, on any host
    big = requirement(specs, core.guest_context(2 * TIB_MIB, specs, tcg))
    assert core.takers(big, hosts) == []
    both = core.Platform(cpu_mode=core.HOST_PASSTHROUGH, virt_type=core.TCG)
    assert not core.width_follows_host(
        core.EMULATE, both.cpu_mode, both.virt_type
    )
