"""Ask the dev cloud's own Nova what it does with maxphysaddr on images.

Run with the cloud virtualenv's python (it imports Nova, not the plugin);
reads cases as JSON on stdin and prints one JSON result per case. Each case
names one Nova code path the plugin's image findings rest on:

``image_meta``
    ``objects.ImageMeta.from_dict``: what the API turns into HTTP 400
    (``nova.compute.api._get_image_meta_obj``).
``image_props_filter``
    ``ImagePropertiesFilter.host_passes`` on a HostState whose
    ``cpu_info`` is copied from a ``ComputeNode``, as the HostManager does.
``mode``
    ``hardware.get_maxphysaddr_mode`` (FlavorImageConflict) and the
    trait ``ResourceRequest`` requires for it.
``libvirt``
    ``LibvirtDriver._get_guest_cpu_config_maxphysaddr``: the mode and
    bits written into the guest.
"""

import json
import sys
import warnings

warnings.simplefilter('ignore')

from nova import conf  # noqa: E402
from nova import exception  # noqa: E402
from nova import objects  # noqa: E402

objects.register_all()
conf.CONF([], project='nova')

from nova.scheduler import host_manager  # noqa: E402
from nova.scheduler import utils as scheduler_utils  # noqa: E402
from nova.scheduler.filters import image_props_filter  # noqa: E402
from nova.virt import hardware  # noqa: E402
from nova.virt.libvirt import driver  # noqa: E402


def _image(props):
    return objects.ImageMeta.from_dict({'name': 'probe', 'properties': props})


def _flavor(specs):
    return objects.Flavor(name='probe', extra_specs=specs)


def image_meta(case):
    try:
        _image(case['image'])
    except ValueError as exc:
        return {'error': 'ValueError', 'message': str(exc)}
    return {'error': None}


def image_props_filter_case(case):
    host = host_manager.HostState('probe', 'probe', 'cell1')
    node = objects.ComputeNode(cpu_info=json.dumps(case['cpu_info']))
    host.cpu_info = node.cpu_info
    host.supported_instances = [('x86_64', 'kvm', 'hvm')]
    host.hypervisor_version = 8002000
    spec = objects.RequestSpec(image=_image(case['image']))
    try:
        passes = image_props_filter.ImagePropertiesFilter().host_passes(
            host, spec
        )
    except Exception as exc:  # noqa: BLE001 - the probe reports it
        return {'error': type(exc).__name__, 'message': str(exc)}
    return {'error': None, 'passes': passes}


def mode(case):
    flavor, image = _flavor(case['flavor']), _image(case['image'])
    try:
        value = hardware.get_maxphysaddr_mode(flavor, image)
    except exception.FlavorImageConflict as exc:
        return {'error': 'FlavorImageConflict', 'message': str(exc)}
    request = scheduler_utils.ResourceRequest()
    request._translate_maxphysaddr_request(flavor, image)
    return {
        'error': None,
        'mode': value,
        'traits': sorted(request.all_required_traits),
    }


def libvirt(case):
    config = driver.LibvirtDriver._get_guest_cpu_config_maxphysaddr(
        None, _flavor(case['flavor']), _image(case['image'])
    )
    if config is None:
        return {'mode': None, 'bits': None}
    return {'mode': config.mode, 'bits': config.bits}


PROBES = {
    'image_meta': image_meta,
    'image_props_filter': image_props_filter_case,
    'mode': mode,
    'libvirt': libvirt,
}


def main():
    cases = json.load(sys.stdin)
    json.dump([PROBES[c['probe']](c) for c in cases], sys.stdout)


if __name__ == '__main__':
    main()
