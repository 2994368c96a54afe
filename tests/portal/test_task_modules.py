"""Tasks live beside the functions they run; a worker must still know every one of them.

A worker imports each app's ``tasks`` module (autodiscovery) and the modules listed in
``CELERY_IMPORTS``. A task defined in a module that neither names would be refused by a
worker as "unregistered" although every test that imports the module directly passes.
"""

import ast
import importlib
from pathlib import Path

from django.apps import apps
from django.conf import settings

from portal.celery import app as celery_app
from tests.conftest import ROOT


def task_names_in_source():
    """{module: [task name, ...]} for every @shared_task function in our apps' code."""
    found = {}
    for config in apps.get_app_configs():
        folder = ROOT / config.name
        if folder != Path(config.path):
            continue  # Django's and third parties' apps
        for path in sorted(folder.rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or "management" in relative.parts:
                continue
            module = ".".join(relative.with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef) and any(
                    "shared_task" in ast.unparse(decorator) for decorator in node.decorator_list
                ):
                    found.setdefault(module, []).append(f"{module}.{node.name}")
    return found


def test_every_module_defining_a_task_is_imported_by_workers():
    found = task_names_in_source()
    assert "papers.metadata" in found  # the scan sees tasks beside their functions

    autodiscovered = {f"{config.name}.tasks" for config in apps.get_app_configs()}
    unlisted = sorted(set(found) - set(settings.CELERY_IMPORTS) - autodiscovered)
    assert not unlisted, f"add these modules to CELERY_IMPORTS: {unlisted}"


def test_a_worker_start_up_registers_every_task():
    celery_app.loader.import_default_modules()
    for module in settings.CELERY_IMPORTS:
        importlib.import_module(module)  # each listed module exists
    expected = {name for names in task_names_in_source().values() for name in names}
    assert expected
    assert expected <= set(celery_app.tasks), expected - set(celery_app.tasks)


def test_every_beat_entry_names_a_registered_task():
    celery_app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in celery_app.tasks, name
