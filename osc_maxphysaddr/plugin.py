"""OpenStackClient plugin hooks for osc-maxphysaddr.

OSC imports this module on every ``openstack`` call, so it imports nothing
but the standard library. The commands talk to Nova and Placement through
the shared openstacksdk connection (``client_manager.sdk_connection``), so
there is no client of our own to build.
"""

import os

API_NAME = 'maxphysaddr'
API_VERSION_OPTION = 'os_maxphysaddr_api_version'
API_VERSIONS = ('1',)
DEFAULT_API_VERSION = '1'


def make_client(instance):
    """Return the SDK connection; the commands need no client of their own."""
    return instance.sdk_connection


def build_option_parser(parser):
    """Add the plugin's global option to the ``openstack`` parser."""
    parser.add_argument(
        '--os-maxphysaddr-api-version',
        metavar='<maxphysaddr-api-version>',
        default=os.environ.get(
            'OS_MAXPHYSADDR_API_VERSION', DEFAULT_API_VERSION
        ),
        help='osc-maxphysaddr command set version '
        '(Env: OS_MAXPHYSADDR_API_VERSION, default: 1)',
    )
    return parser
