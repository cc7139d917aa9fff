"""The database's own guard of the public benefit ledger (`benefit_publicentry`), installed by
migration 0002, on PostgreSQL and on SQLite alike: an entry is never updated or deleted, as the
books' entries are not (ledger/triggers.py). A correction is a new entry. The verifiers
(`benefit_verify`, tools/verify_benefit.py) still catch a change made behind the triggers'
back; the triggers keep an ordinary UPDATE or DELETE, by code or by hand, from making one.
"""

TABLE = "benefit_publicentry"

POSTGRES_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION benefit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the public ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END $$
    """,
    f"""
    CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION benefit_refuse_change()
    """,
]

POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    "DROP FUNCTION IF EXISTS benefit_refuse_change()",
]

SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_no_{operation.lower()} BEFORE {operation} ON {TABLE}
    BEGIN
        SELECT RAISE(ABORT, 'the public ledger is append-only: {operation} on {TABLE} refused');
    END
    """
    for operation in ("UPDATE", "DELETE")
]

SQLITE_REMOVE = [f"DROP TRIGGER IF EXISTS {TABLE}_no_{operation}"
                 for operation in ("update", "delete")]


def statements(vendor: str, *, install: bool) -> list[str]:
    if vendor == "postgresql":
        return POSTGRES_INSTALL if install else POSTGRES_REMOVE
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    raise NotImplementedError(f"the public ledger's triggers are written for PostgreSQL and "
                              f"SQLite, not {vendor}")


def install(schema_editor) -> None:
    for sql in statements(schema_editor.connection.vendor, install=True):
        schema_editor.execute(sql, params=None)


def remove(schema_editor) -> None:
    for sql in statements(schema_editor.connection.vendor, install=False):
        schema_editor.execute(sql, params=None)
