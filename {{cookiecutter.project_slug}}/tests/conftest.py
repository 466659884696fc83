"""Shared fixtures: one trained model per session, the component modules."""

import importlib.util
from pathlib import Path

import pytest

import {{ cookiecutter.package_name }}.train as training

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = ROOT / "workflows" / "components"


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """The artifacts of one training with the default hyper-parameters."""
    return training.run(tmp_path_factory.mktemp("artifacts"), training.Hyperparams())


def load_component(name: str, module: str):
    """Import `workflows/components/<name>/src/<module>.py` (not a package)."""
    path = COMPONENTS / name / "src" / f"{module}.py"
    spec = importlib.util.spec_from_file_location(f"component_{module}", path)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


@pytest.fixture(scope="session")
def download_component():
    """The lakefs-download-file component's module."""
    return load_component("lakefs-download-file", "download")


@pytest.fixture(scope="session")
def train_component():
    """The train-ormb-component's module."""
    return load_component("train-ormb-component", "train")


@pytest.fixture(scope="session")
def promote_component():
    """The promote-model component's module."""
    return load_component("promote-model", "promote")


@pytest.fixture(scope="session")
def monitor_component():
    """The monitor-model component's module."""
    return load_component("monitor-model", "monitor")
