"""The few cloud calls the commands make, one module per service.

:mod:`.compute` (flavors, hypervisors, servers), :mod:`.placement`,
:mod:`.image` and :mod:`.identity`, over :mod:`.http`: microversion
negotiation, answers checked and paged, lookups by name.

The command modules load this package lazily (``osc_maxphysaddr.lazy``)
and call ``cloud.compute.find_flavors(...)``, so the services are imported
here: all of them cost one import of the SDK, which each needs anyway.
"""

from osc_maxphysaddr.cloud import compute
from osc_maxphysaddr.cloud import http
from osc_maxphysaddr.cloud import identity
from osc_maxphysaddr.cloud import image
from osc_maxphysaddr.cloud import placement

__all__ = ['compute', 'http', 'identity', 'image', 'placement']
