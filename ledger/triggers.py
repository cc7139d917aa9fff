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

from dataclasses import dataclass


@dataclass(frozen=True)
class AppendOnly:
    """UPDATE and DELETE refused on `tables` by the database itself: on PostgreSQL a row
    trigger per table calling `function` (created here, owned by whoever installs it), on
    SQLite two triggers per table. `what` names the guarded thing in the error. One rule for
    every append-only table: the books' and, above this app, the public benefit ledger's."""

    tables: tuple[str, ...]
    function: str
    what: str

    @property
    def postgres_install(self) -> list[str]:
        return [
            f"""
            CREATE OR REPLACE FUNCTION {self.function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{self.what} is append-only: % on % refused', TG_OP, TG_TABLE_NAME
                    USING ERRCODE = 'integrity_constraint_violation';
            END $$
            """,
            *[
                f"""
                CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {self.function}()
                """
                for table in self.tables
            ],
        ]

    @property
    def postgres_remove(self) -> list[str]:
        return [*[f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"
                  for table in self.tables],
                f"DROP FUNCTION IF EXISTS {self.function}()"]

    @property
    def sqlite_install(self) -> list[str]:
        return [
            f"""
            CREATE TRIGGER IF NOT EXISTS {table}_no_{operation.lower()} BEFORE {operation}
            ON {table}
            BEGIN
                SELECT RAISE(ABORT, '{self.what} is append-only: {operation} on {table} refused');
            END
            """
            for table in self.tables
            for operation in ("UPDATE", "DELETE")
        ]

    @property
    def sqlite_remove(self) -> list[str]:
        return [f"DROP TRIGGER IF EXISTS {table}_no_{operation}" for table in self.tables
                for operation in ("update", "delete")]

    def statements(self, vendor: str, *, install: bool) -> list[str]:
        return _pick(vendor, install, self.what,
                     self.postgres_install, self.postgres_remove,
                     self.sqlite_install, self.sqlite_remove)

    def install(self, schema_editor) -> None:
        _run(schema_editor, self.statements(schema_editor.connection.vendor, install=True))

    def remove(self, schema_editor) -> None:
        _run(schema_editor, self.statements(schema_editor.connection.vendor, install=False))


APPEND_ONLY_TABLES = ("books_entry", "books_ledgertransaction")
BOOKS_APPEND_ONLY = AppendOnly(APPEND_ONLY_TABLES, function="books_refuse_change",
                               what="the ledger")

POSTGRES_INSTALL = [
    *BOOKS_APPEND_ONLY.postgres_install,
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
    "DROP TRIGGER IF EXISTS books_entry_open_transaction ON books_entry",
    "DROP TRIGGER IF EXISTS books_transaction_balanced ON books_ledgertransaction",
    *BOOKS_APPEND_ONLY.postgres_remove,
    "DROP FUNCTION IF EXISTS books_entry_open_transaction()",
    "DROP FUNCTION IF EXISTS books_transaction_balanced()",
]

SQLITE_INSTALL = [
    *BOOKS_APPEND_ONLY.sqlite_install,
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
    *BOOKS_APPEND_ONLY.sqlite_remove,
    "DROP TRIGGER IF EXISTS books_entry_open_transaction",
    "DROP TRIGGER IF EXISTS books_transaction_balanced",
]


def _pick(vendor: str, install: bool, what: str, postgres_install: list[str],
          postgres_remove: list[str], sqlite_install: list[str],
          sqlite_remove: list[str]) -> list[str]:
    if vendor == "postgresql":
        return postgres_install if install else postgres_remove
    if vendor == "sqlite":
        return sqlite_install if install else sqlite_remove
    raise NotImplementedError(f"the triggers of {what} are written for PostgreSQL and SQLite, "
                              f"not {vendor}")


def _run(schema_editor, statements: list[str]) -> None:
    for sql in statements:
        schema_editor.execute(sql, params=None)


def statements(vendor: str, *, install: bool) -> list[str]:
    return _pick(vendor, install, "the ledger", POSTGRES_INSTALL, POSTGRES_REMOVE,
                 SQLITE_INSTALL, SQLITE_REMOVE)


def install(schema_editor) -> None:
    _run(schema_editor, statements(schema_editor.connection.vendor, install=True))


def remove(schema_editor) -> None:
    _run(schema_editor, statements(schema_editor.connection.vendor, install=False))
