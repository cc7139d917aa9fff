"""The database's own guard of the ledger, on PostgreSQL and on SQLite alike (installed by
`books` migration 0002, which created the tables; their names and the functions' keep `books_`):

- entries and transactions are never updated or deleted;
- a transaction's entries are written before the transaction's row, and that row is refused
  unless its entries are two or more and add up to zero; an entry for a transaction already
  written is refused. The entry's foreign key to its transaction is checked at commit
  (Django creates it DEFERRABLE INITIALLY DEFERRED on both backends), so entries whose
  transaction row never comes cannot commit either.

So an unbalanced transaction cannot be committed, whoever writes it.
"""

APPEND_ONLY_TABLES = ("books_entry", "books_ledgertransaction")

POSTGRES_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION books_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION books_entry_open_transaction() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM books_ledgertransaction WHERE key = NEW.transaction_key) THEN
            RAISE EXCEPTION 'ledger transaction % is already written', NEW.transaction_key
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION books_transaction_balanced() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        total bigint;
        lines integer;
    BEGIN
        SELECT COALESCE(SUM(amount_fen), 0), COUNT(*) INTO total, lines
            FROM books_entry WHERE transaction_key = NEW.key;
        IF lines < 2 OR total <> 0 THEN
            RAISE EXCEPTION 'ledger transaction % does not balance: % entries adding up to % fen',
                NEW.key, lines, total USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    *[
        f"""
        CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION books_refuse_change()
        """
        for table in APPEND_ONLY_TABLES
    ],
    """
    CREATE TRIGGER books_entry_open_transaction BEFORE INSERT ON books_entry
    FOR EACH ROW EXECUTE FUNCTION books_entry_open_transaction()
    """,
    """
    CREATE TRIGGER books_transaction_balanced AFTER INSERT ON books_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION books_transaction_balanced()
    """,
]

POSTGRES_REMOVE = [
    *[f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in APPEND_ONLY_TABLES],
    "DROP TRIGGER IF EXISTS books_entry_open_transaction ON books_entry",
    "DROP TRIGGER IF EXISTS books_transaction_balanced ON books_ledgertransaction",
    "DROP FUNCTION IF EXISTS books_refuse_change()",
    "DROP FUNCTION IF EXISTS books_entry_open_transaction()",
    "DROP FUNCTION IF EXISTS books_transaction_balanced()",
]

SQLITE_INSTALL = [
    *[
        f"""
        CREATE TRIGGER IF NOT EXISTS {table}_no_{operation.lower()} BEFORE {operation} ON {table}
        BEGIN
            SELECT RAISE(ABORT, 'the ledger is append-only: {operation} on {table} refused');
        END
        """
        for table in APPEND_ONLY_TABLES
        for operation in ("UPDATE", "DELETE")
    ],
    """
    CREATE TRIGGER IF NOT EXISTS books_entry_open_transaction BEFORE INSERT ON books_entry
    WHEN EXISTS (SELECT 1 FROM books_ledgertransaction WHERE key = NEW.transaction_key)
    BEGIN
        SELECT RAISE(ABORT, 'ledger transaction is already written');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS books_transaction_balanced AFTER INSERT ON books_ledgertransaction
    WHEN (SELECT COUNT(*) FROM books_entry WHERE transaction_key = NEW.key) < 2
      OR (SELECT COALESCE(SUM(amount_fen), 0) FROM books_entry
          WHERE transaction_key = NEW.key) <> 0
    BEGIN
        SELECT RAISE(ABORT, 'ledger transaction does not balance');
    END
    """,
]

SQLITE_REMOVE = [
    *[f"DROP TRIGGER IF EXISTS {table}_no_{operation}" for table in APPEND_ONLY_TABLES
      for operation in ("update", "delete")],
    "DROP TRIGGER IF EXISTS books_entry_open_transaction",
    "DROP TRIGGER IF EXISTS books_transaction_balanced",
]


def statements(vendor: str, *, install: bool) -> list[str]:
    if vendor == "postgresql":
        return POSTGRES_INSTALL if install else POSTGRES_REMOVE
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    raise NotImplementedError(f"the ledger's triggers are written for PostgreSQL and SQLite, "
                              f"not {vendor}")


def install(schema_editor) -> None:
    for sql in statements(schema_editor.connection.vendor, install=True):
        schema_editor.execute(sql, params=None)


def remove(schema_editor) -> None:
    for sql in statements(schema_editor.connection.vendor, install=False):
        schema_editor.execute(sql, params=None)
