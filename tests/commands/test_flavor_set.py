"""``openstack flavor maxphysaddr set|unset`` against the emulated cloud."""

import os_traits
import pytest

from osc_maxphysaddr import core

MODE = core.MODE_KEY
BITS = core.BITS_KEY
CAP = core.CAPABILITY_KEY
EMU = 'trait:' + os_traits.COMPUTE_ADDRESS_SPACE_EMULATED
PT = 'trait:' + os_traits.COMPUTE_ADDRESS_SPACE_PASSTHROUGH
UNRELATED = {'hw:cpu_policy': 'dedicated'}  # m1.large's own spec

EMULATE_42 = {
    MODE: 'emulate',
    BITS: '42',
    EMU: 'required',
    CAP: '>= 42',
}
PASSTHROUGH = {MODE: 'passthrough', PT: 'required'}


def set_(cloud, *args, **kwargs):
    return cloud.run('flavor', 'maxphysaddr', 'set', *args, **kwargs)


def test_emulate_writes_exactly_four_keys_in_one_request(cloud):
    result = set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', '42')
    assert result.code == 0, result.err
    assert cloud.specs('m1.large') == {**UNRELATED, **EMULATE_42}
    assert cloud.writes() == [('POST', '/flavors/4/os-extra_specs', '2.85')]
    assert 'hw:maxphysaddr_bits' in result.out


def test_passthrough_writes_mode_and_trait_and_reminds(cloud):
    result = set_(cloud, 'm1.large', '--mode', 'passthrough')
    assert result.code == 0, result.err
    assert cloud.specs('m1.large') == {**UNRELATED, **PASSTHROUGH}
    assert len(cloud.writes()) == 1
    assert 'whatever [libvirt] cpu_mode is' in result.err
    assert 'on hosts with the same width' in result.err


def test_switch_modes_adds_first_then_deletes_each_stale_key(cloud):
    assert (
        set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', '42').code == 0
    )
    result = set_(cloud, 'm1.large', '--mode', 'passthrough', '-f', 'json')
    assert result.code == 0, result.err
    assert cloud.specs('m1.large') == {**UNRELATED, **PASSTHROUGH}
    writes = cloud.writes()
    assert writes[0] == ('POST', '/flavors/4/os-extra_specs', '2.85')
    assert sorted(w[:2] for w in writes[1:]) == sorted(
        ('DELETE', f'/flavors/4/os-extra_specs/{key}')
        for key in (BITS, EMU, CAP)
    )
    changes = {row['Key']: row for row in result.json()}
    assert changes[MODE]['Action'] == 'change'
    assert changes[MODE]['Old Value'] == 'emulate'
    assert changes[PT]['Action'] == 'add'
    assert {changes[k]['Action'] for k in (BITS, EMU, CAP)} == {'remove'}

    # ... and back: the passthrough trait goes, the emulate keys return.
    assert (
        set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', '46').code == 0
    )
    assert cloud.specs('m1.large') == {
        **UNRELATED,
        MODE: 'emulate',
        BITS: '46',
        EMU: 'required',
        CAP: '>= 46',
    }
    assert [w[0] for w in cloud.writes()] == ['POST', 'DELETE']


def test_changing_bits_only_touches_bits_and_capability(cloud):
    set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', '42')
    result = set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', '48')
    assert result.code == 0, result.err
    assert cloud.specs('m1.large') == {
        **UNRELATED,
        **EMULATE_42,
        BITS: '48',
        CAP: '>= 48',
    }
    assert cloud.writes() == [('POST', '/flavors/4/os-extra_specs', '2.85')]
    (post,) = cloud.log.select(method='POST')
    # only the two keys that change are sent again
    assert post.json() == {'extra_specs': {BITS: '48', CAP: '>= 48'}}


def test_reapplying_sends_no_write_and_says_so(cloud):
    set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', '42')
    result = set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', '42')
    assert result.code == 0, result.err
    assert cloud.writes() == []
    assert 'already has this configuration' in result.err
    assert cloud.specs('m1.large') == {**UNRELATED, **EMULATE_42}


def test_several_flavors_by_name_and_id(cloud):
    result = set_(
        cloud,
        'm1.small',
        '3',
        'private.xl',
        '--mode',
        'emulate',
        '--bits',
        '46',
    )
    assert result.code == 0, result.err
    for name in ('m1.small', 'm1.medium', 'private.xl'):
        assert cloud.specs(name)[BITS] == '46'
    assert len(cloud.writes()) == 3
    # names are looked up in one listing, not one per name
    listings = cloud.log.select(service='compute', route='/flavors/detail')
    assert len(listings) == 1
    assert listings[0].query.get('is_public') == 'None'


def test_an_unknown_flavor_stops_everything_before_any_write(cloud):
    result = set_(cloud, 'm1.small', 'nope', '--mode', 'passthrough')
    assert result.code == 1
    assert "No flavor with a name or ID of 'nope' exists" in result.err
    assert 'Traceback' not in result.err
    assert cloud.writes() == []
    assert MODE not in cloud.specs('m1.small')


def test_an_ambiguous_name_is_refused(cloud):
    from tests.emulation import seed

    seed.add_flavor(
        cloud.state, 'm1.small', ram=1024, vcpus=1, disk=1, flavor_id='dup'
    )
    result = set_(cloud, 'm1.small', '--mode', 'passthrough')
    assert result.code == 1
    assert "More than one flavor exists with the name 'm1.small'" in result.err
    assert cloud.writes() == []


def test_dry_run_lists_changes_and_writes_nothing(cloud):
    set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', '42')
    before = cloud.specs('m1.large')
    result = set_(
        cloud, 'm1.large', '--mode', 'passthrough', '--dry-run', '-f', 'json'
    )
    assert result.code == 0, result.err
    assert cloud.writes() == []
    assert cloud.specs('m1.large') == before
    actions = {(row['Key'], row['Action']) for row in result.json()}
    assert actions == {
        (MODE, 'change'),
        (PT, 'add'),
        (BITS, 'remove'),
        (EMU, 'remove'),
        (CAP, 'remove'),
    }
    assert 'Dry run: nothing was written.' in result.err


@pytest.mark.parametrize('version', ['2.86', '2.90', '2.96', 'latest'])
def test_writes_are_pinned_whatever_the_users_microversion(cloud, version):
    result = set_(
        cloud,
        'm1.large',
        '--mode',
        'emulate',
        '--bits',
        '42',
        global_args=['--os-compute-api-version', version],
    )
    assert result.code == 0, result.err
    assert cloud.specs('m1.large') == {**UNRELATED, **EMULATE_42}
    assert all(r.microversion == '2.85' for r in cloud.api_requests('compute'))


def test_writes_follow_an_old_clouds_maximum(make_cloud):
    cloud = make_cloud(compute_max_version='2.52')
    result = set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', '42')
    assert result.code == 0, result.err
    assert cloud.specs('m1.large') == {**UNRELATED, **EMULATE_42}
    assert {r.microversion for r in cloud.api_requests('compute')} == {'2.52'}
    # below 2.61 flavor bodies carry no extra specs: they are read apart
    assert (
        cloud.log.count('compute', 'GET', route='/flavors/4/os-extra_specs')
        == 1
    )


def test_a_400_is_explained_in_one_line_and_nothing_changes(cloud):
    cloud.state.inject_fault(
        'POST', r'/os-extra_specs$', 400, message='Quota exceeded for keys'
    )
    result = set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', '42')
    assert result.code == 1
    # one line, nothing else: what Nova refused, why, and the state
    assert result.err.splitlines() == [
        'flavor m1.large (4): Nova refused to set '
        + ', '.join(sorted(EMULATE_42))
        + ' (HTTP 400: Quota exceeded for keys). Nothing was written.'
    ]
    assert cloud.specs('m1.large') == UNRELATED
    assert cloud.writes() == [('POST', '/flavors/4/os-extra_specs', '2.85')]


def test_a_400_from_the_validator_names_the_microversion(cloud):
    # nova/api/validation/extra_specs/validators.py, from 2.86
    message = (
        "Validation failed; extra spec 'hw:maxphysaddr_mode' does not "
        'appear to be a valid extra spec.'
    )
    cloud.state.inject_fault('POST', r'/os-extra_specs$', 400, message=message)
    result = set_(cloud, 'm1.large', '--mode', 'passthrough')
    assert result.code == 1
    (line,) = result.err.splitlines()
    assert f'(HTTP 400: {message})' in line
    assert 'writes at 2.85 or older' in line
    assert 'run the same command' not in line.lower()
    assert cloud.specs('m1.large') == UNRELATED


def test_a_400_among_several_flavors_is_one_line_and_the_count(cloud):
    cloud.state.inject_fault('POST', r'/flavors/3/os-extra_specs$', 400)
    result = set_(
        cloud, 'm1.small', 'm1.medium', '--mode', 'emulate', '--bits', '42'
    )
    assert result.code == 1
    assert result.err.splitlines() == [
        'flavor m1.medium (3): Nova refused to set '
        + ', '.join(sorted(EMULATE_42))
        + ' (HTTP 400: Injected fault (400)). Nothing was written.',
        '1 of 2 flavors failed',
    ]
    assert cloud.specs('m1.small') == EMULATE_42
    assert cloud.specs('m1.medium') == {}


def test_a_failed_delete_reports_the_state_and_a_rerun_converges(cloud):
    set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', '42')
    cloud.state.inject_fault('DELETE', r'os-extra_specs/', 500, times=1)
    result = set_(cloud, 'm1.large', '--mode', 'passthrough')
    assert result.code == 1
    specs = cloud.specs('m1.large')
    # the new configuration went in first, so the flavor is never bare
    assert specs[MODE] == 'passthrough' and specs[PT] == 'required'
    stale = [k for k in (BITS, EMU, CAP) if k in specs]
    assert len(stale) == 3  # the first delete failed, the rest never ran
    (line,) = result.err.splitlines()
    assert line.startswith(
        f'flavor m1.large (4): cannot delete {BITS}: the cloud answered '
        'HTTP 500'
    )
    assert 'Now set: hw:maxphysaddr_mode, trait:' in line
    assert 'stale keys remaining: ' + ', '.join((BITS, EMU, CAP)) in line
    # a 500 is transient, and some keys were written: a rerun finishes
    assert line.endswith('Run the same command again to finish.')

    rerun = set_(cloud, 'm1.large', '--mode', 'passthrough')
    assert rerun.code == 0, rerun.err
    assert [w[0] for w in cloud.writes()] == ['DELETE'] * 3
    assert cloud.specs('m1.large') == {**UNRELATED, **PASSTHROUGH}


def test_a_refused_delete_reports_the_state_without_a_rerun(cloud):
    set_(cloud, 'm1.large', '--mode', 'emulate', '--bits', '42')
    cloud.state.inject_fault('DELETE', r'os-extra_specs/', 400, times=1)
    result = set_(cloud, 'm1.large', '--mode', 'passthrough')
    assert result.code == 1
    (line,) = result.err.splitlines()
    assert f'Nova refused to delete {BITS} (HTTP 400' in line
    assert 'Now set: hw:maxphysaddr_mode, trait:' in line
    assert 'again' not in line  # a 400 does not go away by itself
    assert cloud.specs('m1.large')[MODE] == 'passthrough'


def test_a_transient_failure_before_any_write_says_nothing_was_written(
    cloud,
):
    cloud.state.inject_fault('POST', r'/os-extra_specs$', 503)
    result = set_(cloud, 'm1.large', '--mode', 'passthrough')
    assert result.code == 1
    (line,) = result.err.splitlines()
    assert 'HTTP 503' in line and line.endswith('Nothing was written.')
    assert cloud.specs('m1.large') == UNRELATED


def test_one_failing_flavor_does_not_stop_the_others(cloud):
    cloud.state.inject_fault('POST', r'/flavors/2/os-extra_specs$', 500)
    result = set_(cloud, 'm1.small', 'm1.medium', '--mode', 'passthrough')
    assert result.code == 1
    assert result.err.splitlines()[-1] == '1 of 2 flavors failed'
    assert MODE not in cloud.specs('m1.small')
    assert cloud.specs('m1.medium') == PASSTHROUGH


def test_non_admin_gets_a_clear_error(cloud):
    result = set_(cloud, 'm1.large', '--mode', 'passthrough', user='member')
    assert result.code == 1
    assert 'admin rights are needed' in result.err
    assert 'Traceback' not in result.err
    assert cloud.specs('m1.large') == UNRELATED


# Wiring: each way the request is refused (core's, this command's, the
# parser's); which widths are valid: tests/unit/test_core.py.
@pytest.mark.parametrize(
    'args,code,words',
    [
        (['--mode', 'emulate'], 1, '--bits is required with --mode emulate'),
        (
            ['--mode', 'passthrough', '--bits', '42'],
            1,
            '--bits cannot be used with --mode passthrough',
        ),
        (
            ['--mode', 'passthrough', '--bits', 'auto'],
            1,
            '--bits auto only works with --mode emulate',
        ),
        (['--mode', 'emulate', '--bits', '53'], 2, 'from 32 to 52'),
        (['--mode', 'emulated', '--bits', '42'], 2, 'invalid choice'),
        (['--bits', '42'], 2, '--mode'),
    ],
)
def test_invalid_requests_send_nothing_to_nova_or_placement(
    cloud, args, code, words
):
    result = set_(cloud, 'm1.large', *args)
    assert result.code == code
    assert words in result.err
    assert cloud.api_requests('compute') == []
    assert cloud.api_requests('placement') == []
    assert cloud.specs('m1.large') == UNRELATED


def test_unset_removes_every_maxphysaddr_key_and_nothing_else(cloud):
    cloud.state.flavor_by_name('m1.large').extra_specs.update(
        {
            MODE: 'emulate',
            BITS: '42',
            EMU: 'required',
            PT: 'required',
            CAP: '>=42',
        }
    )
    result = cloud.run('flavor', 'maxphysaddr', 'unset', 'm1.large')
    assert result.code == 0, result.err
    assert cloud.specs('m1.large') == UNRELATED
    assert [w[0] for w in cloud.writes()] == ['DELETE'] * 5

    again = cloud.run('flavor', 'maxphysaddr', 'unset', 'm1.large')
    assert again.code == 0, again.err
    assert cloud.writes() == []
    assert 'nothing to write' in again.err


def test_unset_dry_run(cloud):
    set_(cloud, 'm1.large', '--mode', 'passthrough')
    result = cloud.run(
        'flavor',
        'maxphysaddr',
        'unset',
        'm1.large',
        '--dry-run',
        '-f',
        'value',
        '-c',
        'Key',
    )
    assert result.code == 0, result.err
    assert sorted(result.out.split()) == sorted([MODE, PT])
    assert cloud.writes() == []
