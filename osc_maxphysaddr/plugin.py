"""OpenStackClient plugin hooks for osc-maxphysaddr.

OSC imports this module on every ``openstack`` call, so it imports nothing
at all. The commands talk to Nova and Placement through the shared
openstacksdk connection (``client_manager.sdk_connection``), so there is no
client of our own to build and no API of our own to choose a version of.

OSC still reads these names from every plugin (``_load_plugins`` in
``openstackclient/shell.py``): ``API_NAME`` and ``API_VERSION_OPTION`` are
required, and ``DEFAULT_API_VERSION`` picks the command group,
``openstack.maxphysaddr.v1``, that setup.cfg registers the commands under.
"""

API_NAME = 'maxphysaddr'
# The cloud-config key OSC looks the version up under (without its "os_");
# no command-line option sets it: there is one command set, version 1.
API_VERSION_OPTION = 'os_maxphysaddr_api_version'
API_VERSIONS = ('1',)
DEFAULT_API_VERSION = '1'


def make_client(instance: object) -> object:
    """Return the SDK connection; the commands need no client of their own."""
    # instance: OSC's ClientManager (typing it would import osc_lib here)
    return getattr(instance, 'sdk_connection')  # noqa: B009


def build_option_parser(parser: object) -> object:
    """Add no global option: the plugin has no API version to choose."""
    return parser
