"""A subset of Nova's flavor extra spec validation (microversion 2.86+).

Mirrors ``nova/api/validation/extra_specs/validators.py``: a key matching a
known validator has its value checked; an unmatched key whose namespace is
one Nova knows is rejected ("does not appear to be a valid extra spec");
keys without a namespace, or in a namespace Nova does not know, pass.

Nova registers no validator for ``hw:maxphysaddr_mode`` or
``hw:maxphysaddr_bits`` (the libvirt driver reads them, the API does not
know them), so at 2.86+ they are rejected because ``hw`` is a known
namespace.  Only a representative subset of validators is listed here;
extend ``VALIDATORS`` when a test needs another key.
"""

import dataclasses
import re

import os_traits

_GROUP = r'([a-zA-Z0-9_-]{1,64})?'


@dataclasses.dataclass(frozen=True)
class Validator:
    name_regex: str
    kind: str = 'str'  # 'str', 'int', 'bool'
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    min: int | None = None


class ExtraSpecInvalid(ValueError):
    pass


_TRAIT_VALUES = ('required', 'forbidden')
_STANDARD_TRAITS = '|'.join(
    re.escape(t) for t in sorted(os_traits.get_traits(), key=len, reverse=True)
)

# nova/api/validation/extra_specs/capabilities.py
_FLAT_CAPABILITIES = (
    'id uuid service_id host vcpus memory_mb local_gb vcpus_used '
    'memory_mb_used local_gb_used hypervisor_type hypervisor_version '
    'hypervisor_hostname free_ram_mb free_disk_gb current_workload '
    'running_vms disk_available_least host_ip mapped cpu_allocation_ratio '
    'ram_allocation_ratio disk_allocation_ratio total_usable_ram_mb '
    'total_usable_disk_gb disk_mb_used free_disk_mb vcpus_total '
    'num_instances num_io_ops failed_builds aggregates cell_uuid updated'
).split()
_NESTED_CAPABILITIES = (
    'cpu_info metrics stats numa_topology supported_hv_specs '
    'pci_device_pools nodename pci_stats supported_instances limits '
    'instances'
).split()

VALIDATORS: list[Validator] = [
    # nova/api/validation/extra_specs/traits.py
    Validator(f'trait{_GROUP}:({_STANDARD_TRAITS})', enum=_TRAIT_VALUES),
    Validator(f'trait{_GROUP}:CUSTOM_[A-Z0-9_]+', enum=_TRAIT_VALUES),
    # nova/api/validation/extra_specs/capabilities.py
    *(Validator(f'capabilities:{c}') for c in _FLAT_CAPABILITIES),
    *(Validator(rf'capabilities:{c}(:\w+)*') for c in _NESTED_CAPABILITIES),
    # nova/api/validation/extra_specs/resources.py (standard + custom)
    Validator(f'resources{_GROUP}:[A-Z0-9_]+', kind='int', min=0),
    # nova/api/validation/extra_specs/hw.py (subset)
    Validator('hw:cpu_policy', enum=('dedicated', 'shared', 'mixed')),
    Validator('hw:cpu_thread_policy', enum=('prefer', 'isolate', 'require')),
    Validator(
        'hw:mem_page_size',
        pattern=r'(large|small|any|\d+([kKMGT]i?)?(b|bit|B)?)',
    ),
    Validator('hw:numa_nodes', kind='int', min=1),
    Validator('hw:cpu_sockets', kind='int', min=1),
    Validator('hw:cpu_cores', kind='int', min=1),
    Validator('hw:cpu_threads', kind='int', min=1),
    Validator('hw:hide_hypervisor_id', kind='bool'),
    Validator('hw:locked_memory', kind='bool'),
    # nova/api/validation/extra_specs/null.py (no namespace)
    Validator('hide_hypervisor_id', kind='bool'),
    Validator('group_policy', enum=('none', 'isolate')),
]

# Namespaces Nova derives from its registered validators' name regexes.
NAMESPACES: tuple[str, ...] = (
    'accel',
    'aggregate_instance_extra_specs',
    'capabilities',
    'hw',
    'hw_rng',
    'hw_video',
    'os',
    'pci_passthrough',
    'quota',
    f'resources{_GROUP}',
    f'trait{_GROUP}',
    'vmware',
)

_TRUE_FALSE = {
    '1',
    't',
    'true',
    'on',
    'y',
    'yes',
    '0',
    'f',
    'false',
    'off',
    'n',
    'no',
}


def _check_value(validator: Validator, value: str) -> None:
    if validator.kind == 'int':
        try:
            number = int(value)
        except ValueError:
            raise ExtraSpecInvalid(
                f"Validation failed; '{value}' is not a valid integer value."
            ) from None
        if validator.min is not None and validator.min > number:
            raise ExtraSpecInvalid(
                f"Validation failed; '{value}' is less than the min value "
                f"of '{validator.min}'."
            )
    elif validator.kind == 'bool':
        if str(value).strip().lower() not in _TRUE_FALSE:
            raise ExtraSpecInvalid(
                f"Validation failed; '{value}' is not a valid boolean-like "
                f'value.'
            )
    elif validator.pattern is not None:
        if not re.fullmatch(validator.pattern, value):
            raise ExtraSpecInvalid(
                f"Validation failed; '{value}' is not of the format "
                f"'{validator.pattern}'."
            )
    elif validator.enum and value not in validator.enum:
        values = ', '.join(validator.enum)
        raise ExtraSpecInvalid(
            f"Validation failed; '{value}' is not one of: {values}."
        )


def validate(name: str, value: str) -> None:
    """Raise ``ExtraSpecInvalid`` with Nova's message if Nova would."""
    for validator in VALIDATORS:
        if re.fullmatch(validator.name_regex, name):
            _check_value(validator, str(value))
            return
    if ':' not in name:
        return
    namespace = name.split(':', 1)[0]
    if not any(re.fullmatch(ns, namespace) for ns in NAMESPACES):
        return
    raise ExtraSpecInvalid(
        f"Validation failed; extra spec '{name}' does not appear to be a "
        f'valid extra spec.'
    )
