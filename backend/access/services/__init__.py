"""Access use cases: users and roles, console sign-in, API keys. The only writer of access tables.

Some forty modules (console pages, the API's authentication, the CLI, test fixtures) use these as
``access.<name>``: the package gathers the public names so they keep one import."""

from backend.access.services.api_keys import (
    API_KEY_TOUCH_INTERVAL,
    MAX_API_KEY_NAME,
    ApiKeyRejected,
    ApiKeyView,
    authenticate_api_key,
    create_api_key,
    find_api_key,
    list_api_keys,
    record_api_keys_listed,
    revoke_api_key,
)
from backend.access.services.sessions import SignIn, login, logout, user_for_session
from backend.access.services.shared import UserView, actor_for_user
from backend.access.services.users import (
    MAX_DISPLAY_NAME,
    MIN_PASSWORD_LENGTH,
    USER_SORT_KEYS,
    create_user,
    ensure_admin,
    get_user,
    list_users,
    reset_password,
    set_active,
    set_roles,
    unlock,
)

__all__ = [
    "API_KEY_TOUCH_INTERVAL",
    "MAX_API_KEY_NAME",
    "MAX_DISPLAY_NAME",
    "MIN_PASSWORD_LENGTH",
    "USER_SORT_KEYS",
    "ApiKeyRejected",
    "ApiKeyView",
    "SignIn",
    "UserView",
    "actor_for_user",
    "authenticate_api_key",
    "create_api_key",
    "create_user",
    "ensure_admin",
    "find_api_key",
    "get_user",
    "list_api_keys",
    "list_users",
    "login",
    "logout",
    "record_api_keys_listed",
    "reset_password",
    "revoke_api_key",
    "set_active",
    "set_roles",
    "unlock",
    "user_for_session",
]
