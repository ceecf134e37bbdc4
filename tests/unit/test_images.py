"""The width on images, the write plan, and the flavor+image verdict."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from osc_maxphysaddr import core
from osc_maxphysaddr.core.findings import IMAGE_RULES
from tests import facts

IMODE = core.IMAGE_MODE_KEY
IBITS = core.IMAGE_BITS_KEY
FMODE = core.MODE_KEY
FBITS = core.BITS_KEY
EMULATED = core.MODE_TRAITS[core.EMULATE]
PASSTHROUGH = core.MODE_TRAITS[core.PASSTHROUGH]

FLAVOR_EMULATE_42 = core.Config('emulate', 42).extra_specs()
FLAVOR_PASSTHROUGH = core.Config('passthrough').extra_specs()


def test_image_properties_are_only_the_two_keys():
    assert core.image_properties(core.Config('emulate', 44)) == {
        IMODE: 'emulate',
        IBITS: '44',
    }
    assert core.image_properties(core.Config('passthrough')) == {
        IMODE: 'passthrough'
    }


def test_plan_adds_replaces_and_removes_only_managed_keys():
    current = {'name': 'cirros', 'os_distro': 'cirros', IMODE: 'emulate'}
    plan = core.image_plan(current, {IMODE: 'passthrough'})
    assert plan.json_patch() == [
        {'op': 'replace', 'path': '/' + IMODE, 'value': 'passthrough'}
    ]
    plan = core.image_plan(
        {IMODE: 'passthrough', 'os_distro': 'x'},
        {IMODE: 'emulate', IBITS: '42'},
    )
    assert plan.json_patch() == [
        {'op': 'replace', 'path': '/' + IMODE, 'value': 'emulate'},
        {'op': 'add', 'path': '/' + IBITS, 'value': '42'},
    ]
    plan = core.image_plan({IMODE: 'emulate', IBITS: '42', 'x': 'y'}, {})
    assert plan.json_patch() == [
        {'op': 'remove', 'path': '/' + IMODE},
        {'op': 'remove', 'path': '/' + IBITS},
    ]


def test_plan_is_noop_when_the_image_already_has_it():
    current = {IMODE: 'emulate', IBITS: '42'}
    assert core.image_plan(current, dict(current)).is_noop
    assert core.image_plan({'os_distro': 'x'}, {}).is_noop


def test_plan_refuses_other_keys():
    with pytest.raises(ValueError, match='os_distro'):
        core.image_plan({}, {'os_distro': 'x'})


CONFIGS = st.one_of(
    st.just(None),
    st.just(core.Config('passthrough')),
    st.integers(core.MIN_BITS, core.MAX_BITS).map(
        lambda b: core.Config('emulate', b)
    ),
)
PROPS = st.dictionaries(
    st.sampled_from([IMODE, IBITS, 'os_distro', 'hw_architecture']),
    st.text(max_size=5),
)


@given(PROPS, CONFIGS)
def test_plan_converges_and_never_touches_other_keys(current, config):
    target = {} if config is None else core.image_properties(config)
    plan = core.image_plan(current, target)
    assert {c.key for c in plan.changes} <= set(core.IMAGE_KEYS)
    after = {k: v for k, v in current.items() if k not in core.IMAGE_KEYS}
    after.update(target)
    assert core.image_plan(after, target).is_noop
    for op in plan.json_patch():
        key = op['path'][1:]
        assert op['op'] == (
            'remove'
            if key not in target
            else 'replace'
            if key in current
            else 'add'
        )


IMAGE_DIAGNOSES = [
    ({}, None),
    ({'os_distro': 'ubuntu'}, None),
    ({IMODE: 'passthrough'}, []),
    ({IMODE: 'emulate'}, ['image-emulate-without-bits']),
    ({IMODE: 'emulate', IBITS: '42'}, ['image-bits']),
    # Nova's IntegerField takes what int() takes.
    ({IMODE: 'emulate', IBITS: ' 42 '}, ['image-bits']),
    ({IMODE: 'Emulate'}, ['image-invalid-mode']),
    ({IMODE: ''}, ['image-invalid-mode']),
    ({IMODE: 'emulate', IBITS: '4x'}, ['image-invalid-bits']),
    ({IMODE: 'emulate', IBITS: '60'}, ['image-bits-out-of-range']),
    ({IBITS: '42'}, ['image-bits-without-mode', 'image-bits']),
    (
        {IMODE: 'passthrough', IBITS: '42'},
        ['image-passthrough-with-bits', 'image-bits'],
    ),
    (
        {IMODE: 'emulate', IBITS: '42', 'hw_architecture': 'x86_64'},
        ['image-bits-with-filter-properties'],
    ),
    # The legacy names Nova maps onto the filter's properties count too.
    (
        {IMODE: 'emulate', IBITS: '42', 'architecture': 'x86_64'},
        ['image-bits-with-filter-properties'],
    ),
    (
        {IMODE: 'emulate', IBITS: '42', 'img_hv_type': 'kvm'},
        ['image-bits-with-filter-properties'],
    ),
    (
        {IMODE: 'emulate', IBITS: '42', 'vm_mode': 'hvm'},
        ['image-bits-with-filter-properties'],
    ),
    # Without a width the filter has nothing to check: the mode is fine.
    ({IMODE: 'passthrough', 'hw_architecture': 'x86_64'}, []),
]


@pytest.mark.parametrize('props,codes', IMAGE_DIAGNOSES)
def test_diagnose_image(props, codes):
    diagnosis = core.diagnose_image(props)
    if codes is None:
        assert not diagnosis.configured
        assert diagnosis.status == core.NOT_CONFIGURED
        return
    assert diagnosis.configured
    assert [f.code for f in diagnosis.findings] == codes
    assert diagnosis.is_error == any(
        core.RULES[c].severity == core.ERROR for c in codes
    )
    if not codes:
        assert diagnosis.status == core.OK


def test_image_status_names_the_filter_properties():
    status = core.diagnose_image(
        {IMODE: 'emulate', IBITS: '42', 'hw_vm_mode': 'hvm', 'arch': 'x'}
    ).status
    # arch is no filter property: only hw_vm_mode is named
    assert status == (
        "error: hw_maxphysaddr_bits together with hw_vm_mode: Nova's "
        'ImagePropertiesFilter fails on every host when it checks image '
        'bits, so no server boots from the image; remove '
        'hw_maxphysaddr_bits and put the width on the flavor'
    )


PAIRS = [
    # (flavor specs, image props, codes, mode+source, bits+source)
    ({}, {}, None, (None, None), (None, None)),
    (
        FLAVOR_EMULATE_42,
        {IMODE: 'passthrough'},
        ['flavor-image-mode-conflict'],
        (None, None),
        (None, None),
    ),
    (
        FLAVOR_PASSTHROUGH,
        {IMODE: 'emulate', IBITS: '40'},
        ['flavor-image-mode-conflict', 'image-bits'],
        (None, None),
        (None, None),
    ),
    # The same mode on both sides is no conflict.
    (
        FLAVOR_PASSTHROUGH,
        {IMODE: 'passthrough'},
        [],
        ('passthrough', 'flavor'),
        (None, None),
    ),
    # The recommended split: the mode on the image, the width on the
    # flavor (whose bits alone would be an error).
    (
        {FBITS: '42'},
        {IMODE: 'emulate'},
        [],
        ('emulate', 'image'),
        (42, 'flavor'),
    ),
    # The width only on the image: used, never scheduled by.
    (
        {},
        {IMODE: 'emulate', IBITS: '44'},
        ['image-bits'],
        ('emulate', 'image'),
        (44, 'image'),
    ),
    # The flavor's emulate takes its width from the image.
    (
        {FMODE: 'emulate'},
        {IBITS: '44'},
        ['image-bits'],
        ('emulate', 'flavor'),
        (44, 'image'),
    ),
    # Both widths: libvirt takes the flavor's, silently.
    (
        FLAVOR_EMULATE_42,
        {IMODE: 'emulate', IBITS: '46'},
        ['image-bits-ignored'],
        ('emulate', 'flavor'),
        (42, 'flavor'),
    ),
    (
        FLAVOR_EMULATE_42,
        {IMODE: 'emulate', IBITS: '42'},
        [],
        ('emulate', 'flavor'),
        (42, 'flavor'),
    ),
    # Emulate on the image, no width anywhere.
    ({}, {IMODE: 'emulate'}, ['pair-emulate-without-bits'], None, None),
    # ... and the flavor's emulate without a width says so itself.
    ({FMODE: 'emulate'}, {}, ['emulate-without-bits'], None, None),
    # A passthrough flavor with an image that carries only a width.
    (
        FLAVOR_PASSTHROUGH,
        {IBITS: '42'},
        ['pair-passthrough-with-bits', 'image-bits'],
        None,
        None,
    ),
    # A flavor finding stays in the pair.
    (
        {FMODE: 'emulate', FBITS: '42', 'trait:' + EMULATED: 'forbidden'},
        {},
        ['mode-trait-forbidden'],
        None,
        None,
    ),
    (
        FLAVOR_EMULATE_42,
        {IMODE: 'bogus'},
        ['flavor-image-mode-conflict', 'image-invalid-mode'],
        None,
        None,
    ),
]


@pytest.mark.parametrize('flavor,image,codes,mode,bits', PAIRS)
def test_diagnose_pair(flavor, image, codes, mode, bits):
    verdict = core.diagnose_pair(flavor, image)
    if codes is None:
        assert not verdict.configured
        assert verdict.status == core.NOT_CONFIGURED
        return
    assert [f.code for f in verdict.findings] == codes
    if mode is not None:
        assert (verdict.mode, verdict.mode_source) == mode
        assert (verdict.bits, verdict.bits_source) == bits
    assert (verdict.requirement is None) == verdict.is_error


def test_conflict_message_names_both_values():
    status = core.diagnose_pair(
        FLAVOR_EMULATE_42, {IMODE: 'passthrough'}
    ).status
    assert status == (
        "error: the flavor's hw:maxphysaddr_mode is 'emulate' and the image's "
        "hw_maxphysaddr_mode is 'passthrough': Nova accepts the boot, then "
        'its scheduler raises FlavorImageConflict and the server ends in '
        'ERROR'
    )


def test_mode_conflict_compares_as_stored_like_nova():
    assert core.mode_conflict({FMODE: 'emulate'}, {IMODE: 'emulate'}) is None
    assert core.mode_conflict({FMODE: ' emulate'}, {IMODE: 'emulate'}) == (
        ' emulate',
        'emulate',
    )
    assert core.mode_conflict({}, {IMODE: 'emulate'}) is None
    assert core.mode_conflict({FMODE: 'emulate'}, {}) is None


@pytest.mark.parametrize(
    'flavor,image,bits,traits,admitted',
    [
        # An image-only mode: the trait is required, no width check.
        ({}, {IMODE: 'emulate', IBITS: '46'}, 40, {EMULATED}, True),
        ({}, {IMODE: 'emulate', IBITS: '46'}, 48, {PASSTHROUGH}, False),
        # The flavor's width is checked, whoever sets the mode.
        ({FBITS: '42'}, {IMODE: 'emulate'}, 40, {EMULATED}, False),
        ({FBITS: '42'}, {IMODE: 'emulate'}, 42, {EMULATED}, True),
        ({FBITS: '42'}, {IMODE: 'emulate'}, None, {EMULATED}, False),
        (FLAVOR_PASSTHROUGH, {IMODE: 'passthrough'}, 40, {PASSTHROUGH}, True),
        # The image's mode's trait, and a trait the flavor forbids.
        (
            {'trait:' + PASSTHROUGH: 'forbidden'},
            {IMODE: 'passthrough'},
            48,
            {PASSTHROUGH},
            False,
        ),
    ],
)
def test_pair_requirement(flavor, image, bits, traits, admitted):
    verdict = core.diagnose_pair(flavor, image)
    assert verdict.requirement is not None, verdict.status
    host = core.Host(bits, frozenset(traits))
    assert verdict.requirement.scheduled(host) is admitted


def test_pair_with_an_error_has_no_requirement():
    verdict = core.diagnose_pair(FLAVOR_EMULATE_42, {IMODE: 'passthrough'})
    assert verdict.is_error and verdict.requirement is None


def test_every_image_rule_is_reached_by_the_tables():
    reached = {
        f.code
        for props, _ in IMAGE_DIAGNOSES
        for f in core.diagnose_image(props).findings
    } | {
        f.code
        for flavor, image, *_ in PAIRS
        for f in core.diagnose_pair(flavor, image).findings
    }
    # judged by the address-space model: with the guest's RAM
    context = core.guest_context(2048, FLAVOR_EMULATE_42, core.Platform())
    unknown = core.diagnose_pair(
        FLAVOR_EMULATE_42, {'hw_machine_type': 'virt'}, context
    )
    reached |= {f.code for f in unknown.findings}
    # a server booted from a volume shows no image
    volume = core.server_verdict(FLAVOR_EMULATE_42, None, 2048, None, False)
    reached |= {f.code for f in volume.findings}
    assert set(IMAGE_RULES) <= reached


@given(
    st.dictionaries(
        st.sampled_from([FMODE, FBITS, 'trait:' + EMULATED]),
        st.sampled_from(['emulate', 'passthrough', '42', 'x', 'required']),
    ),
    st.dictionaries(
        st.sampled_from([IMODE, IBITS, 'hw_architecture']),
        st.sampled_from(['emulate', 'passthrough', '42', '7', 'x86_64']),
    ),
)
def test_pair_never_raises_and_orders_errors_first(flavor, image):
    verdict = core.diagnose_pair(flavor, image)
    severities = [f.severity for f in verdict.findings]
    assert severities == sorted(severities, key=lambda s: s != core.ERROR)
    if core.mode_conflict(flavor, image):
        assert verdict.findings[0].code == 'flavor-image-mode-conflict'


FAILS, NEEDS = facts.SMALL_Q35_FAILS, facts.SMALL_Q35_NEEDS


@pytest.mark.parametrize(
    'flavor,image,bits',
    [
        # the flavor's width, whoever sets the mode
        ({core.BITS_KEY: str(FAILS)}, {IMODE: 'emulate'}, FAILS),
        # the image's width when the flavor has none
        ({}, {IMODE: 'emulate', IBITS: str(FAILS)}, FAILS),
        # the flavor's width wins
        (
            core.Config('emulate', FAILS).extra_specs(),
            {IBITS: str(NEEDS)},
            FAILS,
        ),
        (
            core.Config('emulate', NEEDS).extra_specs(),
            {IBITS: str(FAILS)},
            NEEDS,
        ),
    ],
)
def test_pair_width_is_judged_by_the_model(flavor, image, bits):
    # A 2 GiB guest does not start at FAILS bits on q35, does on pc.
    for machine in (core.Q35, core.PC):
        context = core.guest_context(
            facts.SMALL_RAM_MIB, flavor, core.Platform(machine)
        )
        verdict = core.diagnose_pair(flavor, image, context=context)
        assert verdict.bits == bits
        refused = 'qemu-does-not-start' in {f.code for f in verdict.findings}
        assert refused is (machine == core.Q35 and bits < NEEDS)
        assert verdict.is_error is refused
        # Nova still schedules it: the model's verdict is judged per host.
        assert verdict.requirement is not None
        host = core.Host(46, frozenset(core.MODE_TRAITS.values()))
        assert verdict.requirement.admits(host) is not refused
