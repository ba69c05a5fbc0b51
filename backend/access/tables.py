from piccolo.columns import UUID, Array, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.table import Table

from backend.core.ids import UUID7Default


class User(Table, tablename="users"):
    id = UUID(primary_key=True, default=UUID7Default())
    email = Varchar(length=254, unique=True)
    display_name = Varchar(length=200)
    password_hash = Varchar(length=200)
    roles = Array(base_column=Varchar(length=32))
    is_active = Boolean(default=True)
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    last_login_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class ConsoleSession(Table, tablename="console_sessions"):
    """A signed-in browser. Only the SHA-256 of its token is stored."""

    id = UUID(primary_key=True, default=UUID7Default())
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, index=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class ApiKey(Table, tablename="api_keys"):
    """An integrator's key: ``mb_<prefix>_<secret>``; the prefix finds it, the secret's hash proves it."""

    id = UUID(primary_key=True, default=UUID7Default())
    name = Varchar(length=120)
    prefix = Varchar(length=16, unique=True)
    secret_hash = Varchar(length=64)
    scopes = Array(base_column=Varchar(length=40))
    created_by = ForeignKey(references=User, null=True)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
