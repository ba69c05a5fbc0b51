"""Recipient imports: the file and its mapping, and the decision taken for each of its rows."""

from piccolo.columns import JSON, UUID, Bytea, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.core.ids import UUID7Default


class RecipientImport(Table, tablename="recipient_imports"):
    id = UUID(primary_key=True, default=UUID7Default())
    file_name = Varchar(length=255)
    file_format = Varchar(length=8)  # csv | xlsx
    content = Bytea()  # the file as uploaded (at most hr_sync.MAX_CSV_BYTES), read again at each step
    source = Varchar(length=20)  # workday | successfactors | darwinbox | custom
    mapping = JSON(default={})  # a custom mapping {source column: target}; {} for a preset
    status = Varchar(length=16, index=True)  # checking | refused | reviewed | applying | applied | discarded
    refusal = Text(default="")
    # While checking: rows decided of about how many (0 unknown); while applying: rows synced of rows_total.
    progress_total = Integer(default=0)
    progress_done = Integer(default=0)
    rows_total = Integer(default=0)
    to_create = Integer(default=0)
    to_update = Integer(default=0)
    unchanged = Integer(default=0)
    rejected = Integer(default=0)
    created = Integer(default=0)  # what applying did
    updated = Integer(default=0)
    rejected_on_apply = Integer(default=0)
    requested_by = UUID(null=True, default=None)
    requested_by_label = Varchar(length=255, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class RecipientImportRow(Table, tablename="recipient_import_rows"):
    id = UUID(primary_key=True, default=UUID7Default())
    import_id = UUID(index=True)
    row_number = Integer()  # 1 = the first row after the header
    external_id = Varchar(length=100, default="")
    full_name = Varchar(length=200, default="")
    action = Varchar(length=12)  # create | update | unchanged | rejected
    changes = Text(default="")  # for an update: the fields that change
    reason = Text(default="")  # for a rejection: why
