import pytest

from tests.emulation import EmulatedCloud
from tests.emulation import seed


@pytest.fixture(autouse=True)
def _clean_os_environment(monkeypatch, tmp_path):
    """Keep the developer's OS_* variables and clouds.yaml out of tests."""
    import os

    for name in list(os.environ):
        if name.startswith('OS_'):
            monkeypatch.delenv(name)
    monkeypatch.setenv('OS_CLIENT_CONFIG_FILE', str(tmp_path / 'none.yaml'))


@pytest.fixture
def cloud():
    """A started cloud: four standard flavors and ten seeded hypervisors."""
    with EmulatedCloud(seed.standard_cloud(10)) as emulated:
        yield emulated
