from piccolo.columns import JSON, UUID, BigInt, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.core.ids import UUID7Default


class Programme(Table, tablename="programmes"):
    id = UUID(primary_key=True, default=UUID7Default())
    name = Varchar(length=120, unique=True)
    description = Text(default="")
    currency = Varchar(length=3)
    # Value of one point in millionths of the currency's major unit: integers only, and exact for
    # any realistic rate (1 point = 0.25 INR is 250_000).
    point_value_micros = BigInt()
    status = Varchar(length=16, default="active")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Recipient(Table, tablename="recipients"):
    id = UUID(primary_key=True, default=UUID7Default())
    external_id = Varchar(length=100, unique=True)
    full_name = Varchar(length=200, index=True)
    email = Varchar(length=254, null=True, default=None, index=True)
    phone = Varchar(length=20, null=True, default=None)
    whatsapp = Varchar(length=20, null=True, default=None)
    country = Varchar(length=2, null=True, default=None, index=True)
    preferred_channel = Varchar(length=16, default="email")
    hr_attributes = JSON(default={})
    source_system = Varchar(length=50, default="manual", index=True)
    status = Varchar(length=16, default="active")
    created_at = Timestamptz()
    updated_at = Timestamptz()
