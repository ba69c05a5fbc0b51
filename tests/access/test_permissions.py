"""Every role × every permission, against the table we agreed on. A change to a role's rights must
change this table too, on purpose."""

import pytest

from backend.access.roles import API_KEY_SCOPES, ROLE_PERMISSIONS, Role, permissions_for
from backend.core.authz import SYSTEM, Actor, ActorKind, Permission
from backend.core.errors import PermissionDenied

# Rows: permission; columns: admin, programme_manager, finance, partner_manager, support_agent, viewer.
EXPECTED = """
rewards:write      1 1 0 0 0 0
rewards:read       1 1 1 1 1 1
points:write       1 1 1 0 0 0
points:read        1 1 1 1 1 1
recipients:write   1 1 0 0 0 0
recipients:read    1 1 1 1 1 1
programmes:write   1 1 0 0 0 0
catalog:read       1 1 1 1 0 1
catalog:write      1 0 0 1 0 0
partners:write     1 0 0 1 0 0
campaigns:write    1 1 0 0 0 0
tickets:read       1 1 0 0 1 0
tickets:write      1 0 0 0 1 0
reports:read       1 1 1 1 0 1
reports:write      1 1 0 0 0 0
ledger:adjust      1 0 1 0 0 0
users:manage       1 0 0 0 0 0
api_keys:manage    1 0 0 0 0 0
webhooks:manage    1 0 0 0 0 0
outbox:manage      1 0 0 0 0 0
deliveries:read    1 1 1 1 1 1
deliveries:write   1 1 0 0 0 0
audit:read         1 1 1 0 0 0
tickets:manage     1 1 0 0 0 0
"""
ROLES = [Role.ADMIN, Role.PROGRAMME_MANAGER, Role.FINANCE, Role.PARTNER_MANAGER, Role.SUPPORT_AGENT, Role.VIEWER]
CASES = [
    (role, Permission(name), flag == "1")
    for name, *flags in (line.split() for line in EXPECTED.strip().splitlines())
    for role, flag in zip(ROLES, flags, strict=True)
]


def test_the_table_covers_every_permission_and_role():
    assert {permission for _, permission, _ in CASES} == set(Permission)
    assert set(ROLES) == set(Role) == set(ROLE_PERMISSIONS)


@pytest.mark.parametrize(("role", "permission", "allowed"), CASES, ids=lambda v: getattr(v, "value", str(v)))
def test_role_permission(role, permission, allowed):
    actor = Actor(kind=ActorKind.USER, id=None, label=f"a {role.value}", permissions=permissions_for([role.value]))
    assert actor.can(permission) is allowed
    if allowed:
        actor.require(permission)
    else:
        with pytest.raises(PermissionDenied, match=permission.value):
            actor.require(permission)


def test_roles_combine():
    both = permissions_for(["partner_manager", "support_agent"])
    assert Permission.CATALOG_WRITE in both and Permission.TICKETS_WRITE in both and Permission.USERS_MANAGE not in both


def test_api_keys_can_never_administer_the_console():
    assert not API_KEY_SCOPES & {
        Permission.USERS_MANAGE,
        Permission.API_KEYS_MANAGE,
        Permission.AUDIT_READ,
        Permission.LEDGER_ADJUST,
        Permission.WEBHOOKS_MANAGE,
        Permission.OUTBOX_MANAGE,
    }


def test_system_actor_may_do_anything():
    assert all(SYSTEM.can(permission) for permission in Permission)
