"""Keystone: a project's ID from its name."""

from __future__ import annotations

from openstack import connection


def find_project_id(conn: connection.Connection, name_or_id: str) -> str:
    """A project's ID: ``name_or_id`` itself when it looks like one, else
    one Identity lookup by name."""
    text = name_or_id.strip().replace('-', '')
    if len(text) == 32 and all(c in '0123456789abcdef' for c in text):
        return name_or_id
    # The SDK types conn.identity as its v2 or v3 proxy; only v3 (every
    # Keystone since Queens) has projects.
    project = conn.identity.find_project(  # type: ignore[union-attr]
        name_or_id, ignore_missing=False
    )
    project_id: str = project.id
    return project_id
