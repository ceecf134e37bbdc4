"""The pure maxphysaddr core: a table for every rule, properties beside."""

import json

import os_traits
import pytest
from hypothesis import given
from hypothesis import strategies as st

from osc_maxphysaddr import core
from osc_maxphysaddr.core.findings import IMAGE_RULES
from tests import facts

MODE = core.MODE_KEY
BITS = core.BITS_KEY
CAP = core.CAPABILITY_KEY
EMU = 'trait:' + os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
PT = 'trait:' + os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH


def test_trait_constants_are_os_traits_names():
    assert core.MODE_TRAITS == {
        'emulate': os_traits.COMPUTE_ADDRESS_SPACE_EMULATED,
        'passthrough': os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH,
    }
    assert core.TRAIT_KEYS == {
        m: 'trait:' + t for m, t in core.MODE_TRAITS.items()
    }
    assert set(core.MANAGED_KEYS) == {
        MODE,
        BITS,
        CAP,
        EMU,
        PT,
    }


# --- parse_bits / Config -----------------------------------------------------


@pytest.mark.parametrize(
    'text,bits',
    [('32', 32), ('42', 42), ('52', 52), (' 46 ', 46), ('042', 42)],
)
def test_parse_bits_accepts(text, bits):
    assert core.parse_bits(text) == bits


@pytest.mark.parametrize(
    'text',
    [
        '31',
        '53',
        '0',
        '-42',
        '+42',
        '42.0',
        '4e1',
        '',
        'abc',
        '0x2a',
        '４２',
        '4 2',
        '1' * 30,
    ],
)
def test_parse_bits_refuses(text):
    with pytest.raises(core.MaxphysaddrError):
        core.parse_bits(text)


@given(st.integers())
def test_parse_bits_range_property(value):
    inside = core.MIN_BITS <= value <= core.MAX_BITS
    if inside:
        assert core.parse_bits(str(value)) == value
    else:
        with pytest.raises(core.MaxphysaddrError):
            core.parse_bits(str(value))


def test_emulate_specs_are_exact():
    assert core.Config('emulate', 42).extra_specs() == {
        MODE: 'emulate',
        BITS: '42',
        EMU: 'required',
        CAP: '>= 42',
    }


def test_passthrough_specs_are_exact():
    assert core.Config('passthrough').extra_specs() == {
        MODE: 'passthrough',
        PT: 'required',
    }


@pytest.mark.parametrize(
    'mode,bits,words',
    [
        ('emulate', None, 'emulate needs a width'),
        ('passthrough', 42, 'passthrough takes no width'),
        ('emulated', 42, 'mode must be one of emulate, passthrough'),
        ('emulate', 31, 'from 32 to 52'),
        ('emulate', 53, 'from 32 to 52'),
    ],
)
def test_config_refuses(mode, bits, words):
    with pytest.raises(core.MaxphysaddrError, match=words):
        core.Config(mode, bits)


def test_capability_value_is_operator_space_number():
    # Nova splits capability values on whitespace: '>=42' would be a
    # literal string that no host's '46' ever equals.
    for bits in range(core.MIN_BITS, core.MAX_BITS + 1):
        value = core.Config('emulate', bits).extra_specs()[CAP]
        assert value.split() == ['>=', str(bits)]
        assert core.capability_matches(str(bits), value)
        assert not core.capability_matches(str(bits - 1), value)


# --- plan --------------------------------------------------------------------

OTHER = {'hw:cpu_policy': 'dedicated', 'quota:cpu_shares': '1024'}


def written(current, spec_plan):
    """A flavor's extra specs once Nova has run the plan's writes: POST
    os-extra_specs with ``to_set`` (adds or replaces those keys), then one
    DELETE per key of ``to_delete``."""
    after = {**current, **spec_plan.to_set}
    for key in spec_plan.to_delete:
        del after[key]
    return after


def test_plan_fresh_flavor_adds_everything_in_one_set():
    target = core.Config('emulate', 42).extra_specs()
    spec_plan = core.plan(OTHER, target)
    assert spec_plan.to_set == target
    assert spec_plan.to_delete == ()
    assert {c.action for c in spec_plan.changes} == {'add'}


def test_plan_noop_when_already_configured():
    target = core.Config('emulate', 42).extra_specs()
    spec_plan = core.plan({**OTHER, **target}, target)
    assert spec_plan.is_noop
    assert spec_plan.to_set == {} and spec_plan.to_delete == ()


def test_plan_switch_emulate_to_passthrough():
    current = {**OTHER, **core.Config('emulate', 42).extra_specs()}
    target = core.Config('passthrough').extra_specs()
    spec_plan = core.plan(current, target)
    assert spec_plan.to_set == {MODE: 'passthrough', PT: 'required'}
    assert set(spec_plan.to_delete) == {BITS, EMU, CAP}
    by_key = {c.key: c for c in spec_plan.changes}
    assert by_key[MODE].action == 'change'
    assert (by_key[MODE].old, by_key[MODE].new) == ('emulate', 'passthrough')
    assert by_key[PT].action == 'add'
    assert by_key[BITS].action == 'remove' and by_key[BITS].old == '42'


def test_plan_bits_change_touches_only_bits_and_capability():
    current = core.Config('emulate', 42).extra_specs()
    spec_plan = core.plan(current, core.Config('emulate', 46).extra_specs())
    assert spec_plan.to_set == {BITS: '46', CAP: '>= 46'}
    assert spec_plan.to_delete == ()


def test_plan_unset_removes_only_managed_keys():
    current = {**OTHER, MODE: 'x', BITS: 'y', EMU: 'z', PT: 'w', CAP: 'v'}
    spec_plan = core.plan(current, {})
    assert set(spec_plan.to_delete) == set(core.MANAGED_KEYS)
    assert written(current, spec_plan) == OTHER


def test_plan_refuses_unmanaged_target_keys():
    with pytest.raises(core.MaxphysaddrError):
        core.plan({}, {'hw:cpu_policy': 'dedicated'})


configs = st.one_of(
    st.builds(
        core.Config,
        st.just('emulate'),
        st.integers(core.MIN_BITS, core.MAX_BITS),
    ),
    st.just(core.Config('passthrough')),
)
spec_values = st.one_of(
    st.sampled_from(
        [
            'emulate',
            'passthrough',
            'required',
            'forbidden',
            '>= 42',
            '>=42',
            '42',
            '',
        ]
    ),
    st.text(max_size=8),
)
any_specs = st.dictionaries(
    st.sampled_from(
        core.MANAGED_KEYS
        + (
            'hw:cpu_policy',
            'trait:HW_CPU_X86_AVX',
            'capabilities:cpu_info:arch',
        )
    ),
    spec_values,
)


@given(any_specs, configs)
def test_plan_converges_and_keeps_unrelated_keys(current, config):
    target = config.extra_specs()
    spec_plan = core.plan(current, target)
    after = written(current, spec_plan)
    managed = {k: v for k, v in after.items() if k in core.MANAGED_KEYS}
    assert managed == target
    unrelated = {
        k: v for k, v in current.items() if k not in core.MANAGED_KEYS
    }
    assert {
        k: v for k, v in after.items() if k not in core.MANAGED_KEYS
    } == unrelated
    # Re-applying is a no-op, and the set and deletes never overlap.
    assert core.plan(after, target).is_noop
    assert not set(spec_plan.to_set) & set(spec_plan.to_delete)
    # What was written reads back as a flavor Nova honours.
    assert core.diagnose(after).status == core.OK


@given(any_specs)
def test_unset_always_clears_to_not_configured(current):
    after = written(current, core.plan(current, {}))
    assert core.diagnose(after).status == core.NOT_CONFIGURED


# --- diagnose ----------------------------------------------------------------

DIAGNOSES = [
    # (specs, expected finding codes in order)
    ({}, None),
    (OTHER, None),
    (core.Config('emulate', 42).extra_specs(), []),
    (core.Config('passthrough').extra_specs(), []),
    # Nova's own minimal forms: it adds the trait and capability itself.
    ({MODE: 'emulate', BITS: '42'}, []),
    ({MODE: 'passthrough'}, []),
    ({MODE: 'emulate', BITS: '42', CAP: '>=  42'}, []),
    # errors
    ({BITS: '42'}, ['bits-without-mode']),
    ({BITS: '42', CAP: '>= 40'}, ['bits-without-mode', 'capability-differs']),
    ({EMU: 'required'}, ['keys-without-mode']),
    ({CAP: '>= 42'}, ['keys-without-mode']),
    ({CAP: '>=42'}, ['keys-without-mode', 'capability-matches-nothing']),
    ({MODE: 'emulated', BITS: '42'}, ['invalid-mode']),
    ({MODE: 'Emulate'}, ['invalid-mode']),
    ({MODE: 'emulate'}, ['emulate-without-bits']),
    (
        {MODE: 'emulate', EMU: 'required', CAP: '>= 42'},
        ['emulate-without-bits'],
    ),
    (
        {MODE: 'emulate', CAP: '>=42'},
        ['emulate-without-bits', 'capability-matches-nothing'],
    ),
    ({MODE: 'passthrough', BITS: '42'}, ['passthrough-with-bits']),
    ({MODE: 'emulate', BITS: '60'}, ['invalid-bits']),
    ({MODE: 'emulate', BITS: '31'}, ['invalid-bits']),
    ({MODE: 'emulate', BITS: 'abc'}, ['invalid-bits']),
    # Nova compares the mode raw (hardware.get_maxphysaddr_mode): Invalid.
    ({MODE: ' emulate', BITS: '42'}, ['invalid-mode']),
    ({MODE: 'emulate ', BITS: '42'}, ['invalid-mode']),
    ({MODE: 'passthrough\n'}, ['invalid-mode']),
    # ... but reads the bits with int(): whitespace and a sign are fine.
    ({MODE: 'emulate', BITS: ' 42 '}, []),
    ({MODE: 'emulate', BITS: '+42'}, []),
    ({MODE: 'emulate', BITS: '42.0'}, ['invalid-bits']),
    ({MODE: 'emulate', BITS: ''}, ['invalid-bits']),
    # An empty mode is no mode (flavor_value or image_value).
    ({MODE: '', BITS: '42'}, ['bits-without-mode']),
    # Trait values: only exactly 'required' and 'forbidden' count.
    (
        {MODE: 'emulate', BITS: '42', EMU: 'forbidden'},
        ['mode-trait-forbidden'],
    ),
    ({MODE: 'passthrough', PT: 'forbidden'}, ['mode-trait-forbidden']),
    (
        {MODE: 'emulate', BITS: '42', PT: 'forbidden'},
        ['other-mode-trait-forbidden'],
    ),
    ({MODE: 'passthrough', EMU: 'forbidden'}, ['other-mode-trait-forbidden']),
    ({MODE: 'passthrough', PT: 'yes'}, ['trait-value-ignored']),
    ({MODE: 'emulate', BITS: '42', EMU: 'Required'}, ['trait-value-ignored']),
    ({MODE: 'emulate', BITS: '42', EMU: 'required '}, ['trait-value-ignored']),
    ({MODE: 'emulate', BITS: '42', PT: 'Forbidden'}, ['trait-value-ignored']),
    ({EMU: 'yes'}, ['keys-without-mode', 'trait-value-ignored']),
    ({MODE: 'passthrough', CAP: '>=42'}, ['capability-matches-nothing']),
    ({MODE: 'passthrough', CAP: 'foo'}, ['capability-matches-nothing']),
    ({MODE: 'passthrough', CAP: '>='}, ['capability-matches-nothing']),
    ({MODE: 'passthrough', CAP: '042'}, ['capability-matches-nothing']),
    ({MODE: 'passthrough', CAP: 's== 4x'}, ['capability-matches-nothing']),
    ({MODE: 'passthrough', CAP: '<in> x'}, ['capability-matches-nothing']),
    (
        {MODE: 'passthrough', CAP: '<all-in> 4 x'},
        ['capability-matches-nothing'],
    ),
    (
        {MODE: 'passthrough', CAP: '<or> x <or> y'},
        ['capability-matches-nothing'],
    ),
    # float() of the operand, or popping a bare <or>, raises in the filter
    ({MODE: 'passthrough', CAP: '>= x'}, ['capability-breaks-filter']),
    ({MODE: 'passthrough', CAP: '== forty'}, ['capability-breaks-filter']),
    ({MODE: 'passthrough', CAP: '<or>'}, ['capability-breaks-filter']),
    ({CAP: '>= x'}, ['keys-without-mode', 'capability-breaks-filter']),
    # warnings
    ({MODE: 'emulate', BITS: '42', PT: 'required'}, ['other-mode-trait']),
    ({MODE: 'passthrough', EMU: 'required'}, ['other-mode-trait']),
    ({MODE: 'emulate', BITS: '42', CAP: '>= 40'}, ['capability-differs']),
    ({MODE: 'emulate', BITS: '42', CAP: '>=42'}, ['capability-differs']),
    ({MODE: 'passthrough', CAP: '>= 42'}, ['capability-on-passthrough']),
    ({MODE: 'passthrough', CAP: '42'}, ['capability-on-passthrough']),
    (
        {MODE: 'passthrough', CAP: '<or> 46 <or> 48'},
        ['capability-on-passthrough'],
    ),
    # every operator of extra_specs_ops can be well-formed
    (
        {MODE: 'passthrough', CAP: '<all-in> 4 6'},
        ['capability-on-passthrough'],
    ),
    ({MODE: 'passthrough', CAP: '<in> 4'}, ['capability-on-passthrough']),
    ({MODE: 'passthrough', CAP: 's>= 42'}, ['capability-on-passthrough']),
    ({MODE: 'passthrough', CAP: 's== 46'}, ['capability-on-passthrough']),
    ({MODE: 'passthrough', CAP: '= 42'}, ['capability-on-passthrough']),
    ({MODE: 'passthrough', CAP: '!= 4.2e1'}, ['capability-on-passthrough']),
    # errors come before warnings
    (
        {
            MODE: 'emulate',
            BITS: '42',
            EMU: 'forbidden',
            PT: 'required',
            CAP: '>= 1',
        },
        ['mode-trait-forbidden', 'other-mode-trait', 'capability-differs'],
    ),
    # numbered and named request groups are named, not judged
    (
        {
            **core.Config('emulate', 42).extra_specs(),
            'trait1:CUSTOM_GPU': 'required',
            'resources_gpu:VGPU': '1',
            'resources:VCPU': '2',
            'group_policy': 'isolate',
        },
        ['numbered-groups-not-judged'],
    ),
    # vPMEM lays out device memory the model does not know
    (
        {**core.Config('emulate', 42).extra_specs(), 'hw:pmem': '6GB'},
        ['pmem-not-modelled'],
    ),
]


@pytest.mark.parametrize('specs,codes', DIAGNOSES)
def test_diagnose_table(specs, codes):
    diagnosis = core.diagnose(specs)
    if codes is None:
        assert diagnosis.status == 'not configured'
        assert diagnosis.findings == ()
        return
    assert [f.code for f in diagnosis.findings] == codes
    if not codes:
        assert diagnosis.status == 'ok'
    else:
        parts = diagnosis.status.split('; ')
        assert [p.split(': ')[0] for p in parts] == [
            core.RULES[c].severity for c in codes
        ]


H100 = {'pci_passthrough:alias': f'h100:{facts.GPU_COUNT}'}
PC_BIOS = core.Platform()
Q35 = core.Platform(core.Q35)
GPU = core.Platform(core.Q35, core.UEFI, {'h100': facts.H100_BAR})
HOST_PASSTHROUGH_Q35 = core.Platform(core.Q35, cpu_mode=core.HOST_PASSTHROUGH)
TCG_PC = core.Platform(virt_type=core.TCG)

SMALL = facts.SMALL_RAM_MIB
FAILS, NEEDS = facts.SMALL_Q35_FAILS, facts.SMALL_Q35_NEEDS

MODEL_DIAGNOSES = [
    # (specs, RAM in MiB, platform, expected finding codes), with the
    # measured facts (tests/facts.py): a 2 GiB guest needs 36 bits on q35
    # and starts at 35 on pc; 512 GiB with four 128 GiB BARs on q35/UEFI
    # loses a BAR at 42 bits and keeps all at 43.
    (core.Config('emulate', FAILS).extra_specs(), SMALL, PC_BIOS, []),
    (
        core.Config('emulate', FAILS).extra_specs(),
        SMALL,
        Q35,
        ['qemu-does-not-start'],
    ),
    (core.Config('emulate', NEEDS).extra_specs(), SMALL, Q35, []),
    (
        {MODE: 'emulate', BITS: str(FAILS), PT: 'required'},
        SMALL,
        Q35,
        ['qemu-does-not-start', 'other-mode-trait'],
    ),
    (
        {**core.Config('emulate', facts.GPU_FAILS).extra_specs(), **H100},
        facts.GPU_RAM_MIB,
        GPU,
        ['devices-lose-bars'],
    ),
    (
        {**core.Config('emulate', facts.GPU_NEEDS).extra_specs(), **H100},
        facts.GPU_RAM_MIB,
        GPU,
        [],
    ),
    # BIOS: SeaBIOS's placement is modelled: a size is needed
    (
        {**core.Config('emulate', 42).extra_specs(), **H100},
        facts.GPU_RAM_MIB,
        core.Platform(core.Q35),
        ['device-bar-unknown'],
    ),
    # ... and with it, every SeaBIOS version puts four 128 GiB BARs
    # below 2^41 (512 GiB of RAM: 1.16.2 at 640 GiB, 1.16.3 at 1.25 TiB)
    (
        {**core.Config('emulate', 41).extra_specs(), **H100},
        facts.GPU_RAM_MIB,
        core.Platform(core.Q35, core.BIOS, {'h100': 128 << 30}),
        [],
    ),
    # at 40 bits (not trusted on Intel) 1.16.2's 640 GiB to 1152 GiB
    # does not fit 1 TiB
    (
        {**core.Config('emulate', 40).extra_specs(), **H100},
        facts.GPU_RAM_MIB,
        core.Platform(core.Q35, core.BIOS, {'h100': 128 << 30}),
        ['devices-lose-bars'],
    ),
    (
        {**core.Config('emulate', 46).extra_specs(), **H100},
        facts.GPU_RAM_MIB,
        core.Platform(core.Q35, core.UEFI),
        ['device-bar-unknown'],
    ),
    (
        {
            **core.Config('passthrough').extra_specs(),
            'pci_passthrough:alias': 'h100',
        },
        facts.GPU_RAM_MIB,
        GPU,
        ['pci-alias-unreadable'],
    ),
    # passthrough takes the host's width, unknown here; bad bits are
    # reported as such, not measured.
    (core.Config('passthrough').extra_specs(), 64 << 20, Q35, []),
    ({MODE: 'emulate', BITS: '31'}, SMALL, Q35, ['invalid-bits']),
    ({BITS: '32'}, SMALL, Q35, ['bits-without-mode']),
    # on host-passthrough CPUs the guest gets its host's width: 35 bits
    # only select hosts, and no width is refused without a host
    (
        core.Config('emulate', FAILS).extra_specs(),
        SMALL,
        HOST_PASSTHROUGH_Q35,
        ['emulate-width-follows-host'],
    ),
    (
        core.Config('passthrough').extra_specs(),
        SMALL,
        HOST_PASSTHROUGH_Q35,
        [],
    ),
    # under TCG passthrough gets QEMU's 40 bits, judged at that width
    (
        core.Config('passthrough').extra_specs(),
        SMALL,
        TCG_PC,
        ['passthrough-under-tcg'],
    ),
    (
        core.Config('passthrough').extra_specs(),
        facts.AMD_HOLE_RAM_MIB * 2,
        TCG_PC,
        ['qemu-does-not-start', 'passthrough-under-tcg'],
    ),
]

MODEL_CODES = {
    'qemu-does-not-start',
    'devices-lose-bars',
    'device-bar-unknown',
    'pci-alias-unreadable',
    'emulate-width-follows-host',
    'passthrough-under-tcg',
}


@pytest.mark.parametrize('specs,ram_mib,platform,codes', MODEL_DIAGNOSES)
def test_diagnose_with_the_guest(specs, ram_mib, platform, codes):
    # A flavor alone is judged as a pair with an empty image.
    context = core.guest_context(ram_mib, specs, platform)
    verdict = core.diagnose_pair(specs, None, context)
    assert [f.code for f in verdict.findings] == codes
    assert core.diagnose(specs).findings == tuple(
        f for f in verdict.findings if f.code not in MODEL_CODES
    )


def test_the_guest_on_novas_default_platform():
    specs = core.Config('emulate', FAILS).extra_specs()
    pc = core.guest_context(SMALL, specs, core.Platform())
    assert core.diagnose_pair(specs, None, pc).findings == ()
    q35 = core.guest_context(SMALL, specs, Q35)
    assert [f.code for f in core.diagnose_pair(specs, None, q35).findings] == [
        'qemu-does-not-start'
    ]


def test_every_rule_is_reachable_by_the_tables():
    reached = {
        code
        for table in (DIAGNOSES, MODEL_DIAGNOSES)
        for *_, codes in table
        for code in codes or ()
    }
    # The image and flavor+image rules: tests/unit/test_images.py.
    assert reached == set(core.RULES) - set(IMAGE_RULES)


def test_status_text_reads_as_documented():
    status = core.diagnose(
        {
            MODE: 'emulate',
            BITS: '42',
            CAP: '>= 40',
            PT: 'forbidden',
            EMU: 'forbidden',
        }
    ).status
    assert status == (
        "error: trait:COMPUTE_ADDRESS_SPACE_EMULATED is 'forbidden', but "
        'Nova itself requires that trait for emulate mode: no host '
        'qualifies; '
        "error: trait:COMPUTE_ADDRESS_SPACE_PASSTHROUGH is 'forbidden', but "
        'every libvirt host that supports emulate mode has that trait too: '
        'no host qualifies; '
        "warning: capabilities:cpu_info:maxphysaddr:bits is '>= 40', but "
        "Nova ignores it and uses '>= 42' from hw:maxphysaddr_bits"
    )


def test_diagnosis_fields():
    diagnosis = core.diagnose(core.Config('emulate', 46).extra_specs())
    assert diagnosis.mode == 'emulate'
    assert diagnosis.bits == 46 and isinstance(diagnosis.bits, int)
    assert diagnosis.required_traits == (
        os_traits.COMPUTE_ADDRESS_SPACE_EMULATED,
    )
    assert diagnosis.capability == '>= 46'
    assert core.diagnose({MODE: 'emulate', BITS: 'abc'}).bits == 'abc'


@given(any_specs)
def test_diagnose_never_raises_and_orders_errors_first(specs):
    diagnosis = core.diagnose(specs)
    severities = [f.severity for f in diagnosis.findings]
    assert severities == sorted(severities, key=lambda s: s != core.ERROR)
    configured = any(k in specs for k in core.MANAGED_KEYS)
    assert diagnosis.configured == configured
    assert diagnosis.is_error is (severities[:1] == [core.ERROR])
    if diagnosis.is_error:
        assert core.diagnose_pair(specs).requirement is None


# --- Nova's capability operators ---------------------------------------------


@pytest.mark.parametrize(
    'host,requirement,matches',
    [
        ('46', '>= 42', True),
        ('42', '>= 42', True),
        ('40', '>= 42', False),
        ('46', '>=42', False),  # a literal, not an operator
        ('>=42', '>=42', True),  # ... which only equals itself
        ('42', '42', True),
        ('46', '42', False),
        ('42', '== 42', True),
        ('42', '!= 42', False),
        ('40', '<= 42', True),
        ('46', '= 42', True),  # '=' is "at least" in Nova
        ('46', 's== 46', True),
        ('46', '<or> 42 <or> 46', True),
        ('48', '<or> 42 <or> 46', False),
        ('46', '<in> 4', True),
        (None, '>= 42', False),
        (None, '42', False),
        ('46', '>= abc', False),
        ('46', '>=', False),
        ('46', '<all-in> 4 6', True),
        ('48', '<all-in> 4 6', False),
        (None, '<all-in> 4', False),
        ('46', 's>= 42', True),
        ('46', 's< 42', False),
        ('46', '<or>', False),
        # Nova pops value, separator, value: '46' sits in a separator slot
        ('46', '<or> 42 46', False),
    ],
)
def test_capability_matches(host, requirement, matches):
    assert core.capability_matches(host, requirement) is matches


def _nova_match(value, req):
    """Nova's extra_specs_ops.match(), as the test's own reading of it."""
    words = req.split()
    op = words.pop(0) if words else None
    numeric = {'=', '==', '!=', '>=', '<='}
    known = numeric | {'<in>', '<all-in>', '<or>'}
    known |= {'s==', 's!=', 's<', 's<=', 's>', 's>='}
    if op not in known:
        return value == req
    if op == '<or>':
        while True:
            if words.pop(0) == value:  # IndexError on a bare '<or>'
                return True
            if not words:
                return False
            words.pop(0)
            if not words:
                return False
    if not words:
        return False
    if op == '<all-in>':
        return all(w in value for w in words)
    arg = words[0]
    if op in numeric:
        x, y = float(value), float(arg)  # ValueError on a non-number
        return {
            '=': x >= y,
            '==': x == y,
            '!=': x != y,
            '>=': x >= y,
            '<=': x <= y,
        }[op]
    if op == '<in>':
        return arg in value
    return {
        's==': value == arg,
        's!=': value != arg,
        's<': value < arg,
        's<=': value <= arg,
        's>': value > arg,
        's>=': value >= arg,
    }[op]


REQUIREMENT_WORDS = st.sampled_from(
    [
        '=', '==', '!=', '>=', '<=', 's==', 's!=', 's<', 's<=', 's>',
        's>=', '<in>', '<all-in>', '<or>', '42', '4', '046', '4.2e1',
        'x', '4x', '', ' ',
    ]
)  # fmt: skip


@given(st.lists(REQUIREMENT_WORDS, max_size=5).map(' '.join))
def test_check_requirement_agrees_with_nova(requirement):
    """What check_requirement says of every host width 0..99."""
    matched = raised = False
    for width in range(100):
        try:
            matched |= _nova_match(str(width), requirement)
        except (ValueError, IndexError):
            raised = True
    verdict = core.check_requirement(requirement)
    if raised:
        assert verdict == core.BREAKS_FILTER
    elif matched:
        assert verdict == core.CAN_MATCH
    else:
        assert verdict == core.MATCHES_NOTHING
    for width in range(100):
        try:
            expected = _nova_match(str(width), requirement)
        except (ValueError, IndexError):
            expected = False
        assert core.capability_matches(str(width), requirement) is expected


@pytest.mark.parametrize(
    'specs',
    [
        {MODE: 'emulate', BITS: '42', EMU: 'forbidden'},
        {MODE: 'emulate', BITS: '42', PT: 'forbidden'},
        {MODE: ' emulate', BITS: '42'},
        {MODE: 'passthrough', CAP: '>= x'},
    ],
)
def test_no_host_requirement_for_what_nova_cannot_schedule(specs):
    assert core.diagnose_pair(specs).requirement is None


# --- host requirements -------------------------------------------------------

E = os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
P = os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH


@pytest.mark.parametrize(
    'specs,bits,traits,admitted',
    [
        ({MODE: 'emulate', BITS: '42'}, 46, {E}, True),
        ({MODE: 'emulate', BITS: '42'}, 42, {E}, True),
        ({MODE: 'emulate', BITS: '42'}, 40, {E}, False),
        ({MODE: 'emulate', BITS: '42'}, None, {E}, False),
        ({MODE: 'emulate', BITS: '42'}, 46, {P}, False),
        ({MODE: 'emulate', BITS: '42'}, 46, set(), False),
        # Nova replaces the capability with '>= bits'
        ({MODE: 'emulate', BITS: '42', CAP: '>= 48'}, 46, {E}, True),
        ({MODE: 'emulate', BITS: '42', PT: 'required'}, 46, {E}, False),
        ({MODE: 'emulate', BITS: '42', PT: 'required'}, 46, {E, P}, True),
        # bits go through int(), so whitespace around them is harmless
        ({MODE: 'emulate', BITS: ' 42 '}, 42, {E, P}, True),
        ({MODE: 'emulate', BITS: ' 42 '}, 40, {E, P}, False),
        # an ignored trait value adds nothing; Nova still requires the
        # mode's own trait
        ({MODE: 'emulate', BITS: '42', PT: 'Required'}, 46, {E}, True),
        ({MODE: 'emulate', BITS: '42', EMU: 'yes'}, 46, {P}, False),
        ({MODE: 'emulate', BITS: '42', EMU: 'required '}, 46, {E}, True),
        ({MODE: 'passthrough', CAP: '<all-in> 4 6'}, 46, {P}, True),
        ({MODE: 'passthrough', CAP: '<all-in> 4 6'}, 48, {P}, False),
        ({MODE: 'passthrough'}, None, {P}, True),
        ({MODE: 'passthrough'}, 39, {E}, False),
        ({MODE: 'passthrough', CAP: '>= 46'}, 40, {P}, False),
        ({MODE: 'passthrough', CAP: '>= 46'}, 48, {P}, True),
    ],
)
def test_host_requirement(specs, bits, traits, admitted):
    requirement = core.diagnose_pair(specs).requirement
    host = core.Host(bits, frozenset(traits))
    assert requirement.scheduled(host) is admitted


@pytest.mark.parametrize('value', [' forbidden', 'forbidden ', 'Forbidden'])
def test_a_trait_value_nova_ignores_forbids_nothing_with_or_without_image(
    value,
):
    # RequestGroup.add_trait compares the value exactly: ' forbidden' is
    # ignored (a warning), with or without an image.
    specs = {**core.Config('emulate', 42).extra_specs(), PT: value}
    host = core.Host(46, frozenset((E, P)))
    for image in (None, {}, {'hw_maxphysaddr_mode': 'emulate'}):
        verdict = core.diagnose_pair(specs, image)
        assert verdict.requirement.forbidden_traits == frozenset()
        assert verdict.requirement.admits(host)
        assert [f.code for f in verdict.findings] == ['trait-value-ignored']


# --- cpu_info ----------------------------------------------------------------

CPU = {
    'arch': 'x86_64',
    'model': 'Icelake-Server',
    'vendor': 'Intel',
    'maxphysaddr': {'mode': 'emulate', 'bits': 46},
}


@pytest.mark.parametrize(
    'cpu_info,bits',
    [
        (CPU, 46),
        (json.dumps(CPU), 46),  # a JSON string before microversion 2.28
        ({**CPU, 'maxphysaddr': {'mode': 'passthrough', 'bits': '48'}}, 48),
        ({'arch': 'x86_64'}, None),
        ({**CPU, 'maxphysaddr': None}, None),
        ({**CPU, 'maxphysaddr': {'mode': 'emulate'}}, None),
        ({**CPU, 'maxphysaddr': {'bits': True}}, None),
        ({**CPU, 'maxphysaddr': {'bits': 'lots'}}, None),
        ({**CPU, 'maxphysaddr': {'bits': 46.5}}, None),
        ({**CPU, 'maxphysaddr': [46]}, None),
        ('{not json', None),
        ('', None),
        ('null', None),
        ('[1, 2]', None),
        (None, None),
        (42, None),
    ],
)
def test_bits_from_cpu_info(cpu_info, bits):
    assert core.bits_from_cpu_info(cpu_info) == bits


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=10,
)
# cpu_info shaped like libvirt's, with anything in the places that matter.
CPU_INFOS = JSON_VALUES | st.fixed_dictionaries(
    {
        'maxphysaddr': JSON_VALUES
        | st.fixed_dictionaries(
            {
                'bits': JSON_VALUES
                | st.integers(0, 99).map(str)
                | st.integers(0, 99).map(lambda b: f' {b} ')
            }
        )
    },
    optional={'vendor': JSON_VALUES, 'model': JSON_VALUES},
)


@given(CPU_INFOS)
def test_bits_from_cpu_info_never_raises(value):
    maxphysaddr = value.get('maxphysaddr') if isinstance(value, dict) else None
    raw = maxphysaddr.get('bits') if isinstance(maxphysaddr, dict) else None
    for form in (value, json.dumps(value)):
        result = core.bits_from_cpu_info(form)
        # Every int the host reports is read as it is, ...
        if isinstance(raw, int) and not isinstance(raw, bool):
            assert result == raw
        # ... and nothing else but a decimal string is.
        elif result is not None:
            assert type(result) is int
            assert isinstance(raw, str) and int(raw.strip()) == result
        vendor_model = core.cpu_vendor_model(form)
        assert all(v is None or isinstance(v, str) for v in vendor_model)


def test_cpu_vendor_model():
    assert core.cpu_vendor_model(CPU) == ('Intel', 'Icelake-Server')
    assert core.cpu_vendor_model(json.dumps(CPU)) == (
        'Intel',
        'Icelake-Server',
    )
    assert core.cpu_vendor_model('garbage') == (None, None)
