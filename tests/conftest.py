from hypothesis import HealthCheck
from hypothesis import settings

# The machines that run this suite are small and often busy: no deadlines
# or speed health checks, which would fail for reasons of load, not code.
settings.register_profile(
    'default',
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile('default')


def pytest_configure(config):
    """Silence openstacksdk's notices about its own future releases.

    The warning classes differ between the oldest openstacksdk that
    requirements.txt allows (tox -e lower-constraints) and the newest, and a
    filter naming a class that does not exist stops pytest.
    """
    from openstack import warnings as sdk_warnings

    for name in ('RemovedInSDK50Warning', 'RemovedInSDK60Warning'):
        if hasattr(sdk_warnings, name):
            config.addinivalue_line(
                'filterwarnings', f'ignore::openstack.warnings.{name}'
            )
