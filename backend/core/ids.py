"""Primary keys are UUIDv7: time-ordered, so B-tree inserts stay local and ids sort by creation."""

import uuid

from piccolo.columns.defaults.uuid import UUID4
from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    return uuid7()


class UUID7Default(UUID4):
    """Python-side UUIDv7 default; the database-side default stays gen_random_uuid() (PostgreSQL < 18)."""

    def python(self):
        return uuid7()
