"""Glance v2: finding images and patching their properties."""

from __future__ import annotations

import uuid

from openstack import connection

from osc_maxphysaddr.cloud import http
from osc_maxphysaddr.cloud.http import Body

# Glance's JSON-patch media type (glance/api/v2/images.py,
# RequestDeserializer.update). With v2.1, unlike 2.0, "add" overwrites an
# existing property; "replace" and "remove" of a missing one answer 409.
IMAGE_PATCH_CONTENT_TYPE = 'application/openstack-images-v2.1-json-patch'
# Glance's [DEFAULT] api_limit_max default: the most images one page holds.
IMAGE_PAGE_SIZE = 1000


class ImageNotFound(http.CloudError):
    pass


class ImageAmbiguous(http.CloudError):
    pass


def _image_url(image_id: str) -> str:
    return http.resource_url('images', image_id)


def _images(
    conn: connection.Connection, query: dict[str, object]
) -> list[Body]:
    """Every image a listing with ``query`` gives, following each page.

    Glance sets ``next`` while more images may follow.
    """
    images: list[Body] = []
    for page in http.pages(
        conn.image,
        '/images',
        {**query, 'limit': IMAGE_PAGE_SIZE},
        'images',
        'next',
    ):
        images.extend(page)
    return images


def _is_uuid(value: str) -> bool:
    # Glance's image schema makes every image ID a UUID, so other values
    # can only be names.
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def find_images(
    conn: connection.Connection, names_or_ids: list[str]
) -> list[Body]:
    """Resolve images by ID or name, as ``openstack image set`` does.

    A UUID is first tried as an ID; names are looked up with Glance's
    ``name`` filter. Each image is its Glance v2 body, with the properties
    at the top level. Raises ImageNotFound or ImageAmbiguous.
    """
    found: dict[str, Body] = {}
    for value in dict.fromkeys(names_or_ids):
        if _is_uuid(value):
            response = conn.image.get(_image_url(value))
            if response.status_code != 404:
                found[value] = http.check(response)
                continue
        found[value] = http.only_match(
            'image',
            value,
            _images(conn, {'name': value}),
            ImageNotFound,
            ImageAmbiguous,
        )
    return [found[v] for v in names_or_ids]


def patch_image(
    conn: connection.Connection, image_id: str, ops: list[dict[str, str]]
) -> Body:
    """Apply JSON-patch ``ops`` to an image in one request; its new body."""
    return http.check(
        conn.image.patch(
            _image_url(image_id),
            json=ops,
            headers={'Content-Type': IMAGE_PATCH_CONTENT_TYPE},
        )
    )
