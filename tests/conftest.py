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
